import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// Restarts the shared broker, so `make test` runs it apart from every other test
/// (`swift test --filter BrokerRestartTests` after the rest).
@Suite(.serialized) struct BrokerRestartTests {
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
