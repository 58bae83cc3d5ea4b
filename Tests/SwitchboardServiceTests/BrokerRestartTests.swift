import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// Restarts the shared broker, so `make test` runs it apart from every other test
/// (`swift test --filter BrokerRestartTests` after the rest).
@Suite(.serialized) struct BrokerRestartTests {
    @Test func readinessTurns503WhenTheBrokerGoesAnd200WhenItReturns() async throws {
        let outcome = try await DedicatedThread.run { () -> (before: Int, during: RawHTTP.Answer?, after: RawHTTP.Answer?, log: String) in
            let prefix = uniquePrefix("readyz")
            let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase())
            defer { _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            guard let port = service.httpPort(), service.waitForOutput(containing: "ready", timeout: .seconds(30)) else {
                return (0, nil, nil, service.output)
            }
            let http = RawHTTP(port: port)
            let before = try http.get("/readyz").status
            _ = try rabbitmqctl("stop_app")
            let during: RawHTTP.Answer? = try http.poll("/readyz", until: 503, timeout: .seconds(5))
            #expect(try http.get("/healthz").status == 200, "alive all the same")
            _ = try rabbitmqctl("start_app")
            _ = try rabbitmqctl("await_startup")
            let after: RawHTTP.Answer? = try http.poll("/readyz", until: 200, timeout: .seconds(60))
            return (before, during, after, service.output)
        }
        #expect(outcome.before == 200, "\(outcome.log)")
        #expect(outcome.during?.body.contains("broker not connected") == true, "503 within 5 s, saying why: \(String(describing: outcome.during))")
        #expect(outcome.after?.body.contains(#""status":"ready""#) == true, "ready again once the broker is back")
    }

    @Test func brokerStopAndStartMidStreamLosesNothing() async throws {
        let running = await RunningService(label: "broker-restart", batchSize: 32)
        let total = 3_000
        let seenBeforeRestart = try await withClient(running.prefix, watching: nil) { client, _ in
            try client.ok("operator.create", ["name": "A", "max_load_limit": 10_000])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.sendIntake(intakeBatch(0..<total, label: "b"))
            return try client.waitForCount(200, timeout: .seconds(30))
        }
        #expect(seenBeforeRestart >= 200)
        try await DedicatedThread.run {
            _ = try rabbitmqctl("stop_app")
            _ = try rabbitmqctl("start_app")
            _ = try rabbitmqctl("await_startup")
        }
        let (stored, pending) = try await withClient(running.prefix, watching: nil) { client, _ in
            #expect(try client.waitUntilAnswering(timeout: .seconds(60)), "the service reconnects after the broker returns")
            let stored = try client.waitForCount(total, timeout: .seconds(60))
            let deadline = ContinuousClock.now + .seconds(30)
            var pending: Int64 = -1
            while ContinuousClock.now < deadline {
                pending = try client.ok("service.status")["outbox_pending"]?.int ?? -1
                if pending == 0 { break }
                Thread.sleep(forTimeInterval: 0.1)  // poll interval, bounded by the deadline
            }
            return (stored, pending)
        }
        #expect(stored == total, "every accepted request stored exactly once")
        #expect(pending == 0, "every event published")
        #expect(running.service.metrics[.reconnects] >= 1)
        try await running.finish()
    }
}
