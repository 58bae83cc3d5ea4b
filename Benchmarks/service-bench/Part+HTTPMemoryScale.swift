import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardCore

/// The HTTP side's cost, the memory of a long run, and intake over a large history.
extension BenchRun {
    func http() throws {
        guard want("http") else { return }
        print("\nThe HTTP side: intake while Prometheus scrapes /metrics every second and a dashboard holds the live feed (fastest of 3 each):")
        let service = try startService("http", operators: 3)
        defer { try? service.stop(); try? service.deleteTopology() }
        let alone = try fastest { try measure("intake, nobody watching", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil) }
        let watchers = HTTPWatchers(port: service.httpPort)
        watchers.start()
        let watched = try fastest { try measure("intake, watched", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil) }
        watchers.finish()
        print("  nobody watching  \(alone.summary)")
        print("  watched          \(watched.summary)   (\(watchers.scrapes.load(ordering: .relaxed)) scrapes, \(watchers.feedBytes.load(ordering: .relaxed) / 1024) KiB of feed)")
        ratioLine("intake watched / nobody watching", watched.perSecond / alone.perSecond, target: ">= 0.95")

        let many = try startService("http-many", operators: 1_000)
        defer { try? many.stop(); try? many.deleteTopology() }
        func scrapeMilliseconds(_ port: Int) throws -> Double {
            let http = RawHTTP(port: port)
            _ = try http.get("/metrics")  // the first scrape makes the series
            var samples: [Double] = []
            for _ in 0..<30 {
                let start = nowNanos()
                _ = try http.get("/metrics")
                samples.append(Double(nowNanos() - start) / 1e6)
            }
            return samples.sorted()[samples.count / 2]
        }
        let three = try scrapeMilliseconds(service.httpPort)
        let thousand = try scrapeMilliseconds(many.httpPort)
        print(String(format: "  a scrape of /metrics: %.2f ms with 3 operators, %.2f ms with 1,000 (median of 30)", three, thousand))
        ratioLine("scrape with 1,000 operators / with 3", thousand / three, target: "<= 3")
        figures["http"] = ["alone": alone.json, "watched": watched.json, "ratio": watched.perSecond / alone.perSecond,
                           "scrape_ms_3": three, "scrape_ms_1000": thousand]
    }

    func memory() throws {
        guard want("memory") else { return }
        print("\nResident memory over \(memoryRequests) requests at max rate (30 operators):")
        let service = try startService("memory", operators: 30)
        defer { try? service.stop(); try? service.deleteTopology() }
        let id = runId()
        let sink = Sink(url: url, exchange: service.topology.events, run: id, expected: memoryRequests)
        let samples = NSLock()
        nonisolated(unsafe) var rss: [(Int, Int)] = [(0, service.residentKiB)]
        let pid = service.processIdentifier, memoryRequests = memoryRequests
        sink.onProgress = { received in
            let kib = ServiceUnderTest.residentKiB(pid)
            samples.withLock { rss.append((received, kib)) }
            FileHandle.standardError.write(Data("\r  \(received)/\(memoryRequests) requests, RSS \(kib / 1024) MiB        ".utf8))
        }
        sink.start(stallTimeout: .seconds(60))
        var first: UInt64 = 0
        try Producer(url: url, queue: service.topology.requests, source: "bench")
            .publish(count: memoryRequests, run: id, ratePerSecond: nil) { first = $0 }
        let result = try sink.finish(firstSend: first)
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        let final = service.residentKiB
        let points = samples.withLock { rss + [(memoryRequests, final)] }
        let early = points.first { $0.0 >= 10_000 } ?? points[0]
        for point in points where point.0 == 0 || point.0 == early.0 || point.0 % 50_000 < 6_000 || point.0 == memoryRequests {
            print(String(format: "  after %7d requests: %6.1f MiB", point.0, Double(point.1) / 1024))
        }
        print("  throughput    \(result.summary)")
        ratioLine("RSS at \(memoryRequests) / RSS at \(early.0) requests", Double(final) / Double(early.1), target: "<= 1.10")
        figures["memory"] = ["rss_kib_early": early.1, "early_at": early.0, "rss_kib_final": final, "ratio": Double(final) / Double(early.1)]
    }

    func scale() throws {
        guard want("scale") else { return }
        print("\nCost as the data grows:")
        let commands: [(String, [String: JSONValue])] = [
            ("stats.operators_load", [:]), ("stats.requests_distribution", [:]), ("service.status", [:]),
            ("request.list", ["limit": 100]),
        ]
        // 10,000 requests a day, so that the service level's 24-hour window holds as many
        // requests at 10,000 stored as at a million: its cost must follow the window.
        let day: Int64 = 8_640
        let serviceLevel = "stats.service_level"
        // The history's message ids are years old: with the default dedupe window the
        // writer would spend this part forgetting a million of them (measured: every
        // command 2.7x slower meanwhile), a cost the retention part measures on its own.
        let keepIds = ["SWITCHBOARD_DEDUPE_WINDOW": "36500d"]
        var service = try startService("scale", operators: 3, environment: keepIds)
        try service.stop()
        try History.add(requests: 10_000, to: service.databasePath, spacingMilliseconds: day)
        service = try startService("scale", operators: 3, environment: keepIds)
        var small: [String: Double] = [:]
        for (command, args) in commands { small[command] = try service.time(command, args) }
        small[serviceLevel] = try service.time(serviceLevel, History.lastDay(of: service.databasePath))
        try service.stop()
        FileHandle.standardError.write(Data("  storing \(history) more requests...\r".utf8))
        try History.add(requests: history, to: service.databasePath, spacingMilliseconds: day)
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        service = try startService("scale", operators: 3, environment: keepIds)
        var large: [String: Double] = [:]
        for (command, args) in commands { large[command] = try service.time(command, args) }
        large[serviceLevel] = try service.time(serviceLevel, History.lastDay(of: service.databasePath))
        let big = try fastest { try measure("intake, \(history) stored", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil) }
        try service.stop()
        try service.deleteTopology()
        for command in commands.map(\.0) + [serviceLevel] {
            print("  \(command.padding(toLength: 28, withPad: " ", startingAt: 0)) "
                + String(format: "%7.2f ms at 10,000 stored   %7.2f ms at %d", small[command]!, large[command]!, history + 10_000))
            ratioLine("\(command) at \(history + 10_000) / at 10,000", large[command]! / small[command]!, target: "<= 2")
        }
        print("  (\(serviceLevel): a 24-hour window of 10,000 requests in both)")
        let empty = figures["empty_intake_per_second"] as? Double ?? big.perSecond
        print(String(format: "  intake: %8.0f req/s on an empty database, %8.0f req/s with %d stored", empty, big.perSecond, history + 10_000))
        ratioLine("intake with \(history + 10_000) stored / empty", big.perSecond / empty, target: ">= 0.90")

        let many = try startService("many", operators: 1_000, environment: keepIds)
        let manyResult = try fastest { try measure("1,000 operators", queue: many.topology.requests, exchange: many.topology.events, count: requests, rate: nil) }
        try many.stop()
        try many.deleteTopology()
        print(String(format: "  intake: %8.0f req/s with 3 weighted operators, %8.0f req/s with 1,000", empty, manyResult.perSecond))
        ratioLine("intake with 1,000 operators / with 3", manyResult.perSecond / empty, target: ">= 0.80")
        figures["scale"] = ["commands_ms_10k": small, "commands_ms_large": large, "intake_large_per_second": big.perSecond,
                            "intake_1000_operators_per_second": manyResult.perSecond]
    }
}
