import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// A broker that stops and starts again under a service given that one node alone. The node
/// is the cluster's c3, so the shared test broker the other suites use never restarts, and
/// these run in ClusterTests' serialized line with the other tests that stop nodes.
extension ClusterTests {
    static let restarted = 3

    /// The node's application stopped and started again (rabbitmqctl stop_app / start_app).
    static func restartNode(between: () throws -> Void = {}) throws {
        let node = "c\(restarted)@localhost"
        try rabbitmqctl("-n", node, "stop_app")
        try between()
        try rabbitmqctl("-n", node, "start_app")
        try rabbitmqctl("-n", node, "await_startup")
    }

    @Test func readinessTurns503WhenTheBrokerGoesAnd200WhenItReturns() async throws {
        let outcome = try await DedicatedThread.run { () -> (before: Int, during: RawHTTP.Answer?, after: RawHTTP.Answer?, log: String) in
            let prefix = uniquePrefix("readyz")
            let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase(),
                                             environment: ["SWITCHBOARD_AMQP_URL": Cluster.url(Self.restarted).unredacted])
            defer { _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix, brokers: Cluster.brokers) }
            guard (try? service.waitForRole("active", timeout: .seconds(30))) != nil else { return (0, nil, nil, service.output) }
            let http = RawHTTP(port: service.httpPort)
            let before = try http.get("/readyz").status
            var during: RawHTTP.Answer?
            try Self.restartNode {
                during = try http.poll("/readyz", until: 503, timeout: .seconds(5))
                #expect(try http.get("/healthz").status == 200, "alive all the same")
            }
            let after: RawHTTP.Answer? = try http.poll("/readyz", until: 200, timeout: .seconds(60))
            return (before, during, after, service.output)
        }
        #expect(outcome.before == 200, "\(outcome.log)")
        #expect(outcome.during?.body.contains("broker not connected") == true, "503 within 5 s, saying why: \(String(describing: outcome.during))")
        #expect(outcome.during?.body.contains("SWITCHBOARD_AMQP_URL") == true, "naming the variable that sets the broker")
        #expect(outcome.after?.body.contains(#""status":"ready""#) == true, "ready again once the broker is back")
    }

    @Test func brokerStopAndStartMidStreamLosesNothing() async throws {
        let url = Cluster.url(Self.restarted)
        let running = await RunningService(label: "broker-restart", batchSize: 32, url: url)
        let total = 3_000
        let (stored, pending) = try await DedicatedThread.run {
            var client = ControlClient(url: url, prefix: running.prefix)
            defer { client.close() }
            try client.ok("operator.create", ["name": "A", "max_load_limit": 10_000])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.sendIntake(intakeBatch(0..<total, label: "b"))
            #expect(try client.waitForCount(200, timeout: .seconds(30)) >= 200)
            try Self.restartNode()
            client.close()
            client = ControlClient(url: url, prefix: running.prefix)
            #expect(try client.waitUntilAnswering(timeout: .seconds(60)), "the service reconnects after the broker returns")
            let stored = try client.waitForCount(total, timeout: .seconds(60))
            let pending = try client.waitForStatus(timeout: .seconds(30)) { $0["outbox_pending"]?.int == 0 }["outbox_pending"]?.int
            return (stored, pending)
        }
        #expect(stored == total, "every accepted request stored exactly once")
        #expect(pending == 0, "every event published")
        #expect(running.service.metrics[.reconnects] >= 1)
        try await running.finish()
    }
}
