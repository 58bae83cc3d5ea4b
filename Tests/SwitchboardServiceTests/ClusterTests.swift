import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// The three-node loopback cluster of `scripts/broker cluster start` (`make test` starts it);
/// these tests are skipped where it is not running.
enum Cluster {
    static let ports = [5681, 5682, 5683]

    static var brokers: AMQPBrokers {
        AMQPBrokers(ports.map { port in
            var url = brokerURL
            url.port = port
            return url
        })
    }

    static var isRunning: Bool { ports.allSatisfy(RawHTTP.listens) }

    /// Stops node `n` (1-3) as an outage would, or starts it again.
    static func kill(_ n: Int) throws { try script("kill", n) }
    static func revive(_ n: Int) throws { try script("revive", n) }

    /// Through system(3), which waits on its own child: Foundation's Process never saw the
    /// script end once it had started a node in the background (the test hung on it).
    private static func script(_ action: String, _ n: Int) throws {
        let log = ScratchFolder.make("cluster").appendingPathComponent("\(action)-\(n).log").path
        let command = "\(repositoryRoot.appendingPathComponent("scripts/broker-cluster").path) \(action) \(n) > \(log) 2>&1 < /dev/null"
        guard system(command) == 0 else {
            throw ToolFailure(command: "scripts/broker cluster \(action) \(n)", output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
    }
}

@Suite(.serialized, .enabled(if: Cluster.isRunning, "the cluster is not running (scripts/broker cluster start)"))
struct ClusterTests {
    @Test func stoppingTheNodeTheServiceIsOnMovesItToAnotherAndLosesNothing() async throws {
        try await DedicatedThread.run {
            let prefix = uniquePrefix("cluster-node")
            let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase(),
                                             environment: ["SWITCHBOARD_AMQP_URL": Cluster.brokers.unredacted])
            defer { _ = service.terminate(timeout: .seconds(10)) }
            var client = ControlClient(brokers: Cluster.brokers, prefix: prefix)
            defer { client.close() }
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 10_000])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 1)])])
            let first = try #require(client.ok("service.status")["broker"]?.string)
            let node = try #require(Cluster.ports.firstIndex { first.contains("127.0.0.1:\($0)") }) + 1

            let total = 10_000
            var moved = false
            for start in stride(from: 0, to: total, by: 500) {
                if start == 3_000 {
                    let readyBeforeKill = service.output.components(separatedBy: "[SwitchboardService] ready").count - 1
                    try Cluster.kill(node)
                    // The 3,000 sent are still being worked through when the node goes.
                    moved = service.waitForOutput(containing: "[SwitchboardService] ready", afterOccurrences: readyBeforeKill,
                                                  timeout: .seconds(10))
                }
                // A chunk whose confirms were lost with its node goes again: ids make it once.
                var sent = false
                for _ in 0..<20 where !sent {
                    do {
                        try client.sendIntake(intakeBatch(start..<min(start + 500, total), label: prefix))
                        sent = true
                    } catch {
                        client.close()
                        client = ControlClient(brokers: Cluster.brokers, prefix: prefix)
                        Thread.sleep(forTimeInterval: 0.2)  // a pause before the next node, bounded by the 20 tries
                    }
                }
                #expect(sent, "chunk \(start) published")
            }
            defer { try? Cluster.revive(node) }
            #expect(moved, "the service was ready on another node within 10 s:\n\(service.output.suffix(3_000))")
            #expect(try client.waitForCount(total, timeout: .seconds(60)) == total)
            #expect(try client.storedCount() == total, "nothing doubled")
            let now = try #require(client.ok("service.status")["broker"]?.string)
            #expect(now != first, "on another node: \(now)")
            let load = try client.ok("stats.operators_load")
            #expect(load["operators"]?.array.first?["current_load"]?.int == Int64(total), "the load equals the assigned count")
            try deleteTopologyNow(prefix, brokers: Cluster.brokers)
        }
    }
}
