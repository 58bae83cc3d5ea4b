import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// Wrap-up against the real broker: the messages, a wrap-up across kill -9, the CLI.
@Suite struct WrapUpServiceTests {
    @Test func wrapUpMessagesMatchTheSchemas() async throws {
        let running = await RunningService(label: "contract-wrap-up")
        let captured = try await captureMessages(running) { recorder, watcher in
            let client = recorder.client
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 2])
            try recorder.recordSuccess("source.create", ["name": "Chat", "identifier": "chat", "wrap_up_seconds": 600], result: "source.json")
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.intake(user: "u1", source: "chat")
            recorder.add(try #require(watcher.collect(until: "request.assigned", timeout: .seconds(10)).last))
            try recorder.recordSuccess("request.close", ["id": 1, "wrap_up_seconds": 90], result: "request.json")
            try recorder.recordSuccess("operator.get", ["id": 1], result: "operator.json")
            try recorder.recordSuccess("stats.operators_load", [:], result: "operators-load.json")
            try recorder.recordSuccess("operator.end_wrap_up", ["id": 1], result: "operator.json")
        }
        #expect(Set(captured.keys).isSuperset(of: ["args/operator.end_wrap_up.json", "args/request.close.json"]))
        try expectValid(captured)
        try await running.finish()
    }

    /// A wrap-up running when the writer is killed ends once, never before its time, after
    /// the restart (on PostgreSQL, a standby's takeover), and the request waiting for the
    /// slot is served then.
    @Test func aWrapUpAheadOfAKillNineEndsOnceAndNeverEarlyAfterTheRestart() async throws {
        let prefix = uniquePrefix("wrapup9")
        let database = temporaryDatabase()
        let outcome = try await DedicatedThread.run { () -> (events: [ReceivedEvent], closed: JSONValue, op: JSONValue, log: String) in
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            var service = try ServiceProcess(prefix: prefix, databasePath: database)
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { return ([], .null, .null, service.output) }
            let next = try NextWriter(prefix: prefix, database: database)
            let watcher = try EventWatcher(url: brokerURL, exchange: Topology(prefix: prefix).events)
            defer { watcher.close() }
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 1])
            try client.ok("source.create", ["name": "Chat", "identifier": "chat", "wrap_up_seconds": 3])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.intake(user: "u1", source: "chat")
            var events = try watcher.collect(until: "request.assigned", timeout: .seconds(10))
            try client.intake(user: "u2", source: "chat")
            events += try watcher.collect(until: "request.waiting", timeout: .seconds(10))
            let closed = try client.ok("request.close", ["id": 1])
            next.holdBack()
            service.kill9()
            service = try next.takeOver()
            events += try watcher.collect(until: "request.assigned", timeout: .seconds(30))
            // Anything repeated would come soon after: nothing more for two seconds.
            events += try watcher.collect(100, quietFor: .seconds(2), timeout: .seconds(10))
            let op = try client.ok("operator.get", ["id": 1])
            _ = service.terminate(timeout: .seconds(10))
            return (events, closed, op, service.output)
        }
        // An event whose confirm the kill cut off is published again, with its id: consoles
        // drop the copy. What counts is each event once.
        var seen: Set<String> = []
        let once = outcome.events.filter { seen.insert($0.event?.eventId ?? UUID().uuidString).inserted }
        let keys = once.map(\.routingKey)
        #expect(keys == ["request.assigned", "request.waiting", "request.closed", "request.assigned"], "\(keys); log:\n\(outcome.log.suffix(2000))")
        let until = try #require(outcome.closed["wrap_up_until"]?.string.flatMap { Timestamp(rfc3339: $0) })
        let served = try #require(once.last?.event)
        #expect(served.request.request.id == 2 && served.route == .waitingLine)
        #expect(served.occurredAt >= until, "served at \(served.occurredAt), before the wrap-up's end \(until)")
        #expect(outcome.op["current_load"] == 1 && outcome.op["wrap_up_count"] == 0)
        try await deleteTopology(prefix)
    }

    @Test func theCLIClosesWithAWrapUpEndsItAndSetsASourcesWrapUp() async throws {
        let running = await RunningService(label: "cli-wrap-up")
        try await DedicatedThread.run {
            let p = running.prefix
            func json(_ args: String...) throws -> JSONValue { try ctlJSON(args + ["--json"], prefix: p) }
            _ = try json("operator", "create", "--name", "Ann", "--max-load", "2")
            _ = try json("source", "create", "--name", "Chat", "--identifier", "chat")
            #expect(try json("source", "update", "1", "--wrap-up", "60")["wrap_up_seconds"] == 60)
            _ = try json("source", "weights", "1", "1=10")
            let client = ControlClient(url: brokerURL, prefix: p)
            defer { client.close() }
            try client.intake(user: "u1", source: "chat")
            _ = try client.waitForRequests(1, status: "assigned")
            let closed = try json("request", "close", "1", "--wrap-up", "90")
            #expect(closed["status"] == "closed" && closed["wrap_up_until"]?.string != nil)
            let table = try ctl(["operator", "list"], prefix: p)
            #expect(table.status == 0 && table.stdout.contains("WRAP-UP") && table.stdout.contains("1 until"))
            let ended = try json("operator", "end-wrap-up", "1")
            #expect(ended["wrap_up_count"] == 0 && ended["current_load"] == 0)
            let refused = try ctl(["request", "close", "1", "--wrap-up", "3601"], prefix: p)
            #expect(refused.status != 0 && refused.stderr.contains("wrap_up_seconds"))
        }
        try await running.finish()
    }
}
