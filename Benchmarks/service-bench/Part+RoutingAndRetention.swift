import AMQP
import BrokerTestSupport
import Foundation
import ArgumentParser
import SwitchboardCore

/// Routing rules and an earlier build, the dedupe window and retention, and the cluster.
extension BenchRun {
    func routing() throws {
        guard want("routing") else { return }
        print("\nSticky routing: \(requests) requests at max rate from 1,000 returning users, 3 operators, sticky_seconds 3600 against off (alternating, fastest of 3 each):")
        let plain = try startService("sticky-off", operators: 3)
        defer { try? plain.stop(); try? plain.deleteTopology() }
        let sticky = try startService("sticky-on", operators: 3)
        defer { try? sticky.stop(); try? sticky.deleteTopology() }
        guard try sticky.client.call("source.update", ["id": 1, "sticky_seconds": 3_600]).ok else {
            throw ValidationError("source.update refused sticky_seconds")
        }
        let best = try fastestInTurns([contender("sticky off", plain), contender("sticky on", sticky)])
        let (off, on) = (best["sticky off"]!, best["sticky on"]!)
        print("  sticky off  \(off.summary)")
        print("  sticky on   \(on.summary)")
        ratioLine("sticky on / sticky off throughput", on.perSecond / off.perSecond, target: ">= 0.80")
        figures["sticky"] = ["off": off.json, "on": on.json, "ratio": on.perSecond / off.perSecond]

        if let baseline {
            // None of the routing features configured: this build against an earlier one,
            // throughput alternating (fastest of 3) and paced latency in alternating blocks.
            print("\nThis build against \(baseline), nothing of priority, escalation or stickiness configured:")
            let before = try startService("baseline", operators: 3, executable: URL(fileURLWithPath: baseline))
            defer { try? before.stop(); try? before.deleteTopology() }
            let after = try startService("current", operators: 3)
            defer { try? after.stop(); try? after.deleteTopology() }
            let pair = [contender("before", before), contender("after", after)]
            let fastestOf = try fastestInTurns(pair)
            let paced = try pacedInTurns(pair)
            print("  before  \(fastestOf["before"]!.summary)   paced: \(paced["before"]!.summary)")
            print("  after   \(fastestOf["after"]!.summary)   paced: \(paced["after"]!.summary)")
            ratioLine("after / before throughput", fastestOf["after"]!.perSecond / fastestOf["before"]!.perSecond, target: ">= 0.90")
            ratioLine("after / before paced p50", paced["after"]!.percentile(50) / paced["before"]!.percentile(50), target: "<= 1.10")
            ratioLine("after / before paced p99", paced["after"]!.percentile(99) / paced["before"]!.percentile(99), target: "<= 1.10")
            figures["baseline"] = ["throughput_before": fastestOf["before"]!.json, "throughput_after": fastestOf["after"]!.json,
                                   "paced_before": paced["before"]!.json, "paced_after": paced["after"]!.json]
        }
    }

    func retention() throws {
        guard want("retention") else { return }
        print("\nThe dedupe window: intake while the writer forgets \(history) expired message ids, against the same database whose window keeps them (\(requests) requests at max rate, alternating, 3 runs each):")
        // The history's ids date from 2023: a 7-day window forgets them all, one of 100 years none.
        func withHistory(_ name: String, environment: [String: String]) throws -> ServiceUnderTest {
            try startService(name, operators: 3, environment: environment).stop()
            FileHandle.standardError.write(Data("  storing \(history) requests for \(name)...\r".utf8))
            try History.add(requests: history, to: folder.appendingPathComponent("\(name).sqlite").path)
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            return try startService(name, operators: 3, environment: environment)
        }
        let keeping = try withHistory("keeping", environment: ["SWITCHBOARD_DEDUPE_WINDOW": "36500d"])
        defer { try? keeping.stop(); try? keeping.deleteTopology() }
        let forgetting = try withHistory("forgetting", environment: ["SWITCHBOARD_DEDUPE_WINDOW": "7d"])
        defer { try? forgetting.stop(); try? forgetting.deleteTopology() }
        let forgotten = { () -> Int in
            guard case let .integer(n)? = try? forgetting.client.call("service.status").result?["counters"]?["message_ids_forgotten"] else { return -1 }
            return Int(n)
        }
        var runs: [(forgetting: RunResult, keeping: RunResult, forgottenAfter: Int)] = []
        for _ in 0..<3 {
            let during = try measure("intake, forgetting", queue: forgetting.topology.requests, exchange: forgetting.topology.events, count: requests, rate: nil)
            let after = forgotten()
            let kept = try measure("intake, keeping", queue: keeping.topology.requests, exchange: keeping.topology.events, count: requests, rate: nil)
            runs.append((during, kept, after))
            print(String(format: "  forgetting %8.0f req/s (%7d ids forgotten by its end)   keeping %8.0f req/s", during.perSecond, after, kept.perSecond))
        }
        let busy = runs.filter { $0.forgottenAfter < history }
        if let best = busy.max(by: { $0.forgetting.perSecond < $1.forgetting.perSecond }) {
            let keptBest = runs.map(\.keeping.perSecond).max() ?? .nan
            ratioLine("intake while forgetting / keeping (runs with a backlog left)", best.forgetting.perSecond / keptBest, target: ">= 0.95")
            figures["retention"] = ["forgetting_per_second": best.forgetting.perSecond, "keeping_per_second": keptBest,
                                    "ratio": best.forgetting.perSecond / keptBest, "forgotten_after_runs": runs.map(\.forgottenAfter)]
        } else {
            print("  the backlog was gone before the first run ended: store more history (--history) to measure during it")
        }
        let drainStart = ContinuousClock.now
        while forgotten() < history, ContinuousClock.now - drainStart < .seconds(600) { Thread.sleep(forTimeInterval: 0.2) }
        print("  every expired id forgotten \(ContinuousClock.now - drainStart) after the runs (\(forgotten()) in all)")
        try? keeping.stop(); try? keeping.deleteTopology()
        try? forgetting.stop(); try? forgetting.deleteTopology()

        // Closed requests: the same million, older than a 1-day SWITCHBOARD_RETAIN_CLOSED on
        // one side and kept on the other; both keep every message id, so that only the
        // archive-then-delete differs.
        print("\nClosed requests archived and deleted: \(history) closed long ago, SWITCHBOARD_RETAIN_CLOSED=1d against off (3 max-rate runs each, then \(pacedRequests) paced in 10 alternating blocks):")
        let purging = try withHistory("purging", environment: ["SWITCHBOARD_RETAIN_CLOSED": "1d", "SWITCHBOARD_DEDUPE_WINDOW": "36500d"])
        defer { try? purging.stop(); try? purging.deleteTopology() }
        let unpurged = try withHistory("unpurged", environment: ["SWITCHBOARD_DEDUPE_WINDOW": "36500d"])
        defer { try? unpurged.stop(); try? unpurged.deleteTopology() }
        let purgedSoFar = { () -> Int in
            guard case let .integer(n)? = try? purging.client.call("service.status").result?["requests_purged"] else { return -1 }
            return Int(n)
        }
        var maxRate: [(purging: RunResult, unpurged: RunResult)] = []
        for _ in 0..<3 {
            let during = try measure("intake, purging", queue: purging.topology.requests, exchange: purging.topology.events, count: requests, rate: nil)
            let kept = try measure("intake, unpurged", queue: unpurged.topology.requests, exchange: unpurged.topology.events, count: requests, rate: nil)
            maxRate.append((during, kept))
            print(String(format: "  purging %8.0f req/s (%7d purged by its end)   unpurged %8.0f req/s", during.perSecond, purgedSoFar(), kept.perSecond))
        }
        let bestPurging = maxRate.map(\.purging.perSecond).max() ?? .nan
        let bestUnpurged = maxRate.map(\.unpurged.perSecond).max() ?? .nan
        let paced = try pacedInTurns([contender("purging", purging), contender("unpurged", unpurged)])
        let (pacedPurging, pacedUnpurged) = (paced["purging"]!, paced["unpurged"]!)
        print("  purging    \(pacedPurging.summary)")
        print("  unpurged   \(pacedUnpurged.summary)")
        let purgedByEnd = purgedSoFar()
        print("  \(purgedByEnd) of \(history) purged by the end: the backlog lasted the whole run")
        ratioLine("intake while purging / unpurged", bestPurging / bestUnpurged, target: ">= 0.95")
        ratioLine("paced p99 while purging / unpurged", pacedPurging.percentile(99) / pacedUnpurged.percentile(99), target: "<= 1.10")

        figures["archive"] = ["purging_per_second": bestPurging, "unpurged_per_second": bestUnpurged,
                              "paced_p99_purging_ms": pacedPurging.percentile(99), "paced_p99_unpurged_ms": pacedUnpurged.percentile(99),
                              "purged_by_end": purgedByEnd]
    }

    // Part of the retention figures; `--only days` runs it alone (no broker needed).
    func days() throws {
        guard want("retention") || only == "days" else { return }
        let days = try SimulatedDays.run(days: 10, perDay: 20_000, retain: .seconds(2 * 86_400), folder: folder)
        print("\nTen simulated days on the store alone, 20,000 requests a day closed the same day, SWITCHBOARD_RETAIN_CLOSED=2d, SWITCHBOARD_RETAIN_AUDIT=2d:")
        for day in days {
            print(String(format: "  day %2d: database %7.2f MiB, log %6.2f MiB, %6d requests stored",
                         day.day, Double(day.databaseBytes) / 1_048_576, Double(day.walBytes) / 1_048_576, day.stored))
        }
        let third = Double(days[2].databaseBytes), tenth = Double(days[9].databaseBytes)
        ratioLine("database size after day 10 / after day 3", tenth / third, target: "<= 1.10")
        figures["simulated_days"] = ["day3_bytes": days[2].databaseBytes, "day10_bytes": days[9].databaseBytes]
    }

    func cluster() throws {
        guard want("cluster") else { return }
        let node = try AMQPBrokers(parsing: clusterNodes).connectionOrder[0]
        print("\nThe cluster: \(requests) requests at max rate through one node of three, quorum queues replicated three ways, against one node alone (fastest of 3 each):")
        if RawHTTP.listens(node.port) {
            // Everything on one node in each case (the service, the ceilings, producer and
            // sink), so the two ratios differ by the replication alone.
            func shares(on url: AMQPURL, _ name: String) throws -> (service: RunResult, passThrough: RunResult, durable: RunResult) {
                let service = try startService(name, operators: 3, on: url)
                defer { try? service.stop(); try? service.deleteTopology() }
                let passThrough = try PassThrough(url: url, prefix: "\(tag)-\(name)", queueType: queueType)
                passThrough.start()
                defer { try? passThrough.stopAndClean() }
                let durable = try PassThrough(url: url, prefix: "\(tag)-\(name)", queueType: queueType,
                                              journal: folder.appendingPathComponent("\(name)-durable-router.sqlite").path)
                durable.start()
                defer { try? durable.stopAndClean() }
                return (try fastest { try measure("service, \(name)", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil, on: url) },
                        try fastest { try measure("pass-through, \(name)", queue: passThrough.queue, exchange: passThrough.output, count: requests, rate: nil, on: url) },
                        try fastest { try measure("durable router, \(name)", queue: durable.queue, exchange: durable.output, count: requests, rate: nil, on: url) })
            }
            let single = try shares(on: url, "one-node")
            let replicated = try shares(on: node, "cluster")
            for (name, result) in [("one node", single), ("cluster ", replicated)] {
                print("  \(name), service         \(result.service.summary)")
                print("  \(name), pass-through    \(result.passThrough.summary)")
                print("  \(name), durable router  \(result.durable.summary)")
            }
            let share = { (run: (service: RunResult, passThrough: RunResult, durable: RunResult)) in
                (passThrough: run.service.perSecond / run.passThrough.perSecond, durable: run.service.perSecond / run.durable.perSecond)
            }
            let (one, three) = (share(single), share(replicated))
            ratioLine("service / pass-through, one node", one.passThrough, target: "reference")
            ratioLine("service / pass-through, cluster", three.passThrough, target: String(format: "%.2f ± 0.10", one.passThrough))
            ratioLine("service / durable router, one node", one.durable, target: "reference")
            ratioLine("service / durable router, cluster", three.durable, target: String(format: "%.2f ± 0.10", one.durable))
            figures["cluster"] = ["one_node": ["service": single.service.json, "pass_through": single.passThrough.json, "durable_router": single.durable.json],
                                  "cluster": ["service": replicated.service.json, "pass_through": replicated.passThrough.json, "durable_router": replicated.durable.json],
                                  "ratio_one_node": one.passThrough, "ratio_cluster": three.passThrough,
                                  "durable_ratio_one_node": one.durable, "durable_ratio_cluster": three.durable]
        } else {
            print("  skipped: \(node) does not answer (scripts/broker cluster start)")
        }
    }
}
