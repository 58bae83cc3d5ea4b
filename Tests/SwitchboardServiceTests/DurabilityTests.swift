import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

extension ControlClient {
    /// Polls `service.status` until the service answers (it is ready then) or time runs out.
    /// Each call waits twice as long as the one before, up to 8 s: a call sent before the
    /// control queue exists is lost, so calls are repeated, but a writer that is busy (a
    /// PostgreSQL takeover handling 200 expiries under the whole suite once took 15 s) answers
    /// every call later than half a second, and those late answers belong to calls given up.
    func waitUntilAnswering(timeout: Duration) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        var wait = Duration.milliseconds(500)
        while ContinuousClock.now < deadline {
            if let reply = try? call("service.status", timeout: min(wait, deadline - .now)), reply.ok { return true }
            wait = min(wait * 2, .seconds(8))
        }
        return false
    }

    func storedCount() throws -> Int {
        let distribution = try ok("stats.requests_distribution")
        return Int(distribution["by_source"]?.array.compactMap { $0["request_count"]?.int }.reduce(0, +) ?? -1)
    }

    /// Polls `service.status` until `isDone` holds for it or time runs out; the last status.
    func waitForStatus(timeout: Duration, until isDone: (JSONValue) -> Bool) throws -> JSONValue {
        var status = try ok("service.status")
        _ = try? eventually(within: timeout, every: .milliseconds(100), "service.status as expected") { seen -> Bool? in
            status = try ok("service.status")
            seen = "\(status)"
            return isDone(status) ? true : nil
        }
        return status
    }

    func waitForCount(_ count: Int, timeout: Duration) throws -> Int {
        var stored = 0
        _ = try? eventually(within: timeout, every: .milliseconds(100), "\(count) requests stored") { seen -> Bool? in
            stored = try storedCount()
            seen = "\(stored)"
            return stored >= count ? true : nil
        }
        return stored
    }
}

func intakeBatch(_ range: Range<Int>, label: String) -> [(body: [UInt8], messageId: String?)] {
    range.map { n in (Array(#"{"user_identifier":"user\#(n % 500)","source":"telegram","message":"n\#(n)"}"#.utf8), "\(label)-\(n)") }
}

@Suite struct DurabilityTests {
    @Test func restartKeepsEveryRow() async throws {
        let first = await RunningService(label: "restart")
        try await withClient(first.prefix, watching: nil) { client, _ in
            try client.ok("operator.create", ["name": "A", "max_load_limit": 5])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.sendIntake(intakeBatch(0..<8, label: "r"))
            #expect(try client.waitForCount(8, timeout: .seconds(15)) == 8)
        }
        let before = try await withClient(first.prefix, watching: nil) { client, _ in
            [try client.ok("request.list"), try client.ok("operator.list"), try client.ok("source.list")]
        }
        await first.stop()
        let second = await RunningService(label: "restart", prefix: first.prefix, databasePath: first.databasePath)
        let after = try await withClient(second.prefix, watching: nil) { client, _ in
            [try client.ok("request.list"), try client.ok("operator.list"), try client.ok("source.list")]
        }
        #expect(after == before)
        #expect(before[0].array.count == 8)
        try await second.finish()
    }

    /// kill -9 in the middle of a 5,000-message stream: after a restart (on PostgreSQL, a
    /// standby's takeover) every request is stored exactly once and every one of them had its
    /// event published.
    @Test func killNineMidStreamLosesAndDoublesNothing() async throws {
        let prefix = uniquePrefix("kill9")
        let database = temporaryDatabase()
        let total = 5_000
        let outcome = try await DedicatedThread.run { () -> (stored: Int, events: Set<String>, exit: Int32?, killedAt: Int, log: String) in
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            var service = try ServiceProcess(prefix: prefix, databasePath: database)
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { return (0, [], nil, 0, service.output) }
            let next = try NextWriter(prefix: prefix, database: database)
            let watcher = try EventWatcher(url: brokerURL, exchange: Topology(prefix: prefix).events)
            defer { watcher.close() }
            try client.ok("operator.create", ["name": "A", "max_load_limit": 10_000])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            var events = Set<String>()
            try client.sendIntake(intakeBatch(0..<2_500, label: "k"))
            // Kill it once it is well into the stream.
            let deadline = ContinuousClock.now + .seconds(30)
            var seen = 0
            while seen < 600, ContinuousClock.now < deadline {
                if let event = try watcher.next(timeout: .milliseconds(200)) {
                    events.insert(event.properties.correlationId ?? "")
                    seen += 1
                }
            }
            next.holdBack()
            service.kill9()
            let killedAt = seen
            try client.sendIntake(intakeBatch(2_500..<total, label: "k"))
            service = try next.takeOver()
            let stored = try client.waitForCount(total, timeout: .seconds(90))
            let eventDeadline = ContinuousClock.now + .seconds(60)
            while events.count < total, ContinuousClock.now < eventDeadline {
                if let event = try watcher.next(timeout: .milliseconds(500)) { events.insert(event.properties.correlationId ?? "") }
            }
            let exit = service.terminate(timeout: .seconds(10))
            return (stored, events, exit, killedAt, service.output)
        }
        #expect(outcome.killedAt > 0)
        #expect(outcome.stored == total, "stored \(outcome.stored) of \(total); log:\n\(outcome.log.suffix(2000))")
        #expect(outcome.events == Set((0..<total).map { "k-\($0)" }), "missing events: \(total - outcome.events.count)")
        #expect(outcome.exit == 0, "SIGTERM ends the service with status 0 within seconds")
        try await deleteTopology(prefix)
    }
}
