import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import SwitchboardService
import Testing

/// Faults on the three-node cluster, each in the middle of 10,000 requests (ClusterScenario).
/// Serialized: each stops nodes the others use.
@Suite(.serialized, .enabled(if: Cluster.isRunning, "the cluster is not running (scripts/broker cluster start)"))
struct ClusterTests {
    @Test func theQuorumQueuesHaveAMemberOnEachNodeAndDeclaringAgainThroughAnotherNodeChangesNothing() async throws {
        try await DedicatedThread.run {
            let prefix = uniquePrefix("cluster-topology")
            defer { try? deleteTopologyNow(prefix, brokers: Cluster.brokers) }
            for node in [1, 3, 1] {
                let connection = try AMQPConnection.open(to: Cluster.brokers([node]))
                defer { connection.close() }
                #expect(try Topology(prefix: prefix).declare(on: connection, queueType: .quorum).isEmpty, "declared through c\(node)")
            }
            let everyNode = Set(Cluster.ports.indices.map { "c\($0 + 1)@localhost" })
            let queues = try Cluster.placement(of: prefix, askingNode: 2)
            #expect(Set(queues.map(\.name)) == Set(["\(prefix).requests", "\(prefix).control", "\(prefix).requests.dead"]))
            for queue in queues {
                #expect(queue.type == "quorum", "\(queue.name)")
                #expect(Set(queue.members) == everyNode, "\(queue.name) replicated on all three nodes")
                #expect(Set(queue.online) == everyNode, "\(queue.name) online on all three nodes")
                #expect(queue.leader == "c1@localhost", "\(queue.name) led by the node that declared it first")
            }
            let exchanges = try rabbitmqctlListing("-q", "-n", "c2@localhost", "list_exchanges", "name", "durable", "--no-table-headers")
            for exchange in [Topology(prefix: prefix).events, Topology(prefix: prefix).dead] {
                #expect(exchanges.contains("\(exchange)\ttrue"), "\(exchange) is durable:\n\(exchanges)")
            }
        }
    }

    @Test func stoppingTheNodeTheServiceIsOnMovesItToAnotherAndLosesNothing() async throws {
        try await DedicatedThread.run {
            let scenario = try ClusterScenario(label: "cluster-node")
            defer { scenario.finish() }
            let first = try scenario.serviceNode()
            defer { try? Cluster.revive(first) }
            var moved = false
            var cliRuns: [CLIResult] = []
            let sent = try scenario.stream {
                try Cluster.kill(first)
                // Moved once it answers service.status from another node (through the others).
                let survivors = Cluster.brokers([1, 2, 3].filter { $0 != first }).unredacted
                moved = (try? eventually(within: .seconds(10), every: .milliseconds(100), "service.status from another node") { seen -> Bool? in
                    let run = try ctl(["health", "--json", "--timeout", "1", "--amqp-url", survivors], prefix: scenario.prefix)
                    let node = run.json?["broker"]?.string.flatMap(Cluster.node(of:))
                    seen = "status \(run.status), node \(node.map(String.init) ?? "-") \(run.stderr)"
                    return node != nil && node != first ? true : nil
                }) != nil
                // switchboardctl given the stopped node first; each run draws its own order.
                let list = Cluster.brokers([first] + [1, 2, 3].filter { $0 != first }).unredacted
                cliRuns = try (0..<3).map { _ in try ctl(["health", "--json", "--amqp-url", list], prefix: scenario.prefix) }
            }
            #expect(sent, "every chunk confirmed")
            #expect(moved, "the service was ready on another node within 10 s:\n\(scenario.service.output.suffix(3_000))")
            for run in cliRuns {
                #expect(run.status == 0, "switchboardctl with the stopped node first: \(run.stderr)")
                #expect(run.json?["broker"]?.string.flatMap(Cluster.node(of:)) != first)
            }
            try scenario.expectEverythingOnce()
            #expect(try scenario.serviceNode() != first)
        }
    }

    /// The node loss made deterministic: the service's node stopped and a second one frozen
    /// (SIGSTOP) for 40 s leave every quorum queue, the test's event log among them, without
    /// a majority, so without a leader, for at least that long, however fast an election
    /// would be. Whatever the broker does with the events meanwhile (RabbitMQ 3.10 holds
    /// their confirms; a leader moving nacks them), none is set aside and every one reaches
    /// the log.
    @Test func stoppingTheServicesNodeAndFreezingAnotherFor40SecondsLosesNoEvent() async throws {
        try await DedicatedThread.run {
            let scenario = try ClusterScenario(label: "cluster-leaderless")
            defer { scenario.finish() }
            let first = try scenario.serviceNode()
            let frozen = [1, 2, 3].first { $0 != first }!
            defer { try? Cluster.resume(frozen); try? Cluster.revive(first) }
            let http = RawHTTP(port: scenario.service.httpPort)
            var health: Set<Int> = []
            var outage = Duration.zero
            let sent = try scenario.stream(within: .seconds(240)) {
                try Cluster.kill(first)
                try Cluster.pause(frozen)
                let start = ContinuousClock.now
                // The outage lasts 40 s; the service's liveness is sampled all the while.
                for _ in 0..<80 where ContinuousClock.now - start < .seconds(40) {
                    health.insert((try? http.get("/healthz").status) ?? 0)
                    Thread.sleep(forTimeInterval: 0.5)  // holding the fault, not waiting for an outcome
                }
                outage = ContinuousClock.now - start
                try Cluster.resume(frozen)
            }
            #expect(sent, "every chunk confirmed once the frozen node went on")
            #expect(outage >= .seconds(40), "no majority for \(outage)")
            #expect(health == [200], "the service stayed up through the outage: \(health)")
            try scenario.expectEverythingOnce(eventsWithin: .seconds(180))
            let status = try scenario.client.ok("service.status")
            #expect(status["events_set_aside"]?.int == 0, "nothing set aside: \(status)")
            #expect(status["events_retrying"]?.int == 0)
        }
    }

    @Test func stoppingTheNodeThatLeadsTheRequestsQueueLosesNothing() async throws {
        try await DedicatedThread.run {
            // Declared through c2, which leads the queues; the service is on c1 or c3, so the
            // fault is the leader's alone and its connection stays up.
            let scenario = try ClusterScenario(label: "cluster-leader", nodes: [1, 3], declaredOn: 2)
            defer { scenario.finish() }
            let requests = Topology(prefix: scenario.prefix).requests
            let leader = { try Cluster.placement(of: requests, askingNode: 1).first { $0.name == requests }?.leader }
            #expect(try leader() == "c2@localhost")
            defer { try? Cluster.revive(2) }
            var newLeader: String?
            let sent = try scenario.stream {
                try Cluster.kill(2)
                newLeader = try? eventually(within: .seconds(30), every: .milliseconds(200), "a leader other than c2") { seen in
                    let found = try leader()
                    seen = found ?? "none"
                    return found.flatMap { $0 == "c2@localhost" ? nil : $0 }
                }
            }
            #expect(sent, "every chunk confirmed")
            #expect(["c1@localhost", "c3@localhost"].contains(newLeader ?? ""), "a new leader was elected: \(String(describing: newLeader))")
            try scenario.expectEverythingOnce()
        }
    }

    @Test func losingTwoNodesOfThreeHoldsEverythingAndTheServiceResumesWhenOneReturns() async throws {
        try await DedicatedThread.run {
            let scenario = try ClusterScenario(label: "cluster-majority")
            defer { scenario.finish() }
            let kept = try scenario.serviceNode()
            let others = [1, 2, 3].filter { $0 != kept }
            defer { for node in others { try? Cluster.revive(node) } }
            let http = RawHTTP(port: scenario.service.httpPort)
            let stored = { () throws -> Double in
                parsePrometheus(try http.get("/metrics").body).filter { $0.name == "switchboard_requests_total" }.map(\.value).reduce(0, +)
            }
            var duringOutage: [Double] = []
            var healthDuringOutage = 0
            var heldBySTOP = false
            let sent = try scenario.stream {
                // The outage must find work in the service's hands: it is paused while 1,000
                // more wait for it (sent again later with the same ids) and until the two
                // nodes are gone.
                kill(scenario.service.process.processIdentifier, SIGSTOP)
                heldBySTOP = scenario.send(3_000..<4_000, before: .now + .seconds(30))
                for node in others { try Cluster.kill(node) }
                kill(scenario.service.process.processIdentifier, SIGCONT)
                // Without a majority nothing more is delivered or confirmed: what the service
                // had in hand is stored, its acks wait, and the count holds while the outage lasts.
                for _ in 0..<8 {
                    duringOutage.append(try stored())
                    Thread.sleep(forTimeInterval: 0.5)  // sampling the outage, eight samples
                }
                healthDuringOutage = try http.get("/healthz").status
                try Cluster.revive(others[0])
            }
            #expect(heldBySTOP)
            #expect(sent, "every chunk confirmed once a majority returned")
            #expect(healthDuringOutage == 200, "the service stayed up through the outage")
            #expect(duringOutage.suffix(3).allSatisfy { $0 == duringOutage.last }, "nothing stored without a majority: \(duringOutage)")
            #expect((duringOutage.last ?? 0) < 4_000, "the outage came before the service had everything sent")
            try scenario.expectEverythingOnce()
        }
    }
}
