import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// A `switchboard` process on the cluster with one operator and one source, and 10,000
/// intake messages streamed through it while a fault happens; afterwards, what every fault
/// test checks: each message made one request, each request one `request.assigned`, and the
/// load equals the assigned count.
final class ClusterScenario {
    let prefix: String
    let service: ServiceProcess
    let events: EventLog
    private(set) var client: ControlClient
    let total = 10_000

    /// `nodes`: the list the service is given. `declaredOn`: a node to declare the topology
    /// through before the service starts, which makes it the quorum queues' leader.
    /// `database`: SWITCHBOARD_DB (a fresh SQLite file by default).
    init(label: String, nodes: [Int] = [1, 2, 3], declaredOn: Int? = nil, database: String = temporaryDatabase()) throws {
        prefix = uniquePrefix(label)
        if let declaredOn {
            let connection = try AMQPConnection.open(to: Cluster.brokers([declaredOn]))
            defer { connection.close() }
            try Topology(prefix: prefix).declare(on: connection, queueType: .quorum)
        }
        service = try ServiceProcess(prefix: prefix, databasePath: database,
                                     environment: ["SWITCHBOARD_AMQP_URL": Cluster.brokers(nodes).unredacted])
        client = ControlClient(brokers: Cluster.brokers, prefix: prefix)
        guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
        events = try EventLog(prefix: prefix, pattern: EventName.requestAssigned.rawValue)
        try client.ok("operator.create", ["name": "Ann", "max_load_limit": 10_000])
        try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
        try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 1)])])
    }

    /// The node (1-3) the service says it is connected to.
    func serviceNode() throws -> Int {
        let broker = try #require(client.ok("service.status")["broker"]?.string)
        return try #require(Cluster.node(of: broker), "\(broker) is not a cluster node")
    }

    /// Sends the 10,000 in chunks of 500 and runs `fault` once 3,000 are sent, while the
    /// service is still working through them. Returns whether every chunk was confirmed
    /// within two minutes (`within`, for faults that last).
    func stream(within: Duration = .seconds(120), fault: () throws -> Void) throws -> Bool {
        try stream(faultsAt: [3_000], within: within) { _ in try fault() }
    }

    /// The same, running `fault` with the count sent so far at each of `faultsAt` (multiples of 500).
    func stream(faultsAt points: Set<Int>, within: Duration = .seconds(120), fault: (Int) throws -> Void) throws -> Bool {
        let deadline = ContinuousClock.now + within
        for start in stride(from: 0, to: total, by: 500) {
            if points.contains(start) { try fault(start) }
            guard send(start..<min(start + 500, total), before: deadline) else { return false }
        }
        return true
    }

    /// Sends messages `range` of the 10,000 until the broker confirms them. A chunk whose
    /// confirms were lost with a node is sent again through another: its message ids make
    /// it once.
    func send(_ range: Range<Int>, before deadline: ContinuousClock.Instant) -> Bool {
        let sent = try? eventually(within: deadline - .now, every: .milliseconds(200), "messages \(range) confirmed") { _ -> Bool? in
            do {
                try client.sendIntake(intakeBatch(range, label: prefix))
                return true
            } catch {
                client.close()
                client = ControlClient(brokers: Cluster.brokers, prefix: prefix)
                throw error
            }
        }
        return sent == true
    }

    /// Every message stored once, every request's event published (duplicates of one event
    /// id are a republish, and count once), the load equal to the assigned count.
    /// `eventsWithin`: how long the events may take to reach the log after the stream.
    func expectEverythingOnce(eventsWithin: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try client.waitForCount(total, timeout: .seconds(90)) == total, "stored", sourceLocation: sourceLocation)
        #expect(try client.storedCount() == total, "nothing doubled", sourceLocation: sourceLocation)
        let load = try client.ok("stats.operators_load")["operators"]?.array.first?["current_load"]?.int
        #expect(load == Int64(total), "the load equals the assigned count", sourceLocation: sourceLocation)
        let requestByEvent = try events.read(distinct: total, timeout: eventsWithin)
        let setAside = try client.ok("service.status")["events_set_aside"]?.int ?? 0
        #expect(requestByEvent.count == total, "one request.assigned event id per request (set aside: \(setAside))",
                sourceLocation: sourceLocation)
        #expect(Set(requestByEvent.values).count == total, "each request's event, none for two", sourceLocation: sourceLocation)
        // A confirmed event is marked sent by the writer's next transaction: poll for it.
        let pending = try client.waitForStatus(timeout: .seconds(30)) { $0["outbox_pending"]?.int == 0 }["outbox_pending"]?.int
        #expect(pending == 0, "nothing left to publish", sourceLocation: sourceLocation)
    }

    func finish() {
        _ = service.terminate(timeout: .seconds(10))
        try? events.delete()
        try? deleteTopologyNow(prefix, brokers: Cluster.brokers)
        client.close()
    }
}

/// A durable quorum queue bound to a prefix's events: every event published through a fault
/// stays on the cluster, to be counted once the fault is over.
struct EventLog {
    let queue: String

    init(prefix: String, pattern: String) throws {
        queue = "\(prefix).test-events"
        let connection = try AMQPConnection.open(to: Cluster.brokers)
        defer { connection.close() }
        try connection.openChannel()
        try connection.declareQueue(queue, durable: true, arguments: ["x-queue-type": .string("quorum")])
        try connection.bindQueue(queue, exchange: Topology(prefix: prefix).events, routingKey: pattern)
    }

    /// Reads events until `distinct` event ids have come or time runs out: the request id
    /// each event id names.
    func read(distinct: Int, timeout: Duration) throws -> [String: Int64] {
        let connection = try AMQPConnection.open(to: Cluster.brokers)
        defer { connection.close() }
        try connection.openChannel()
        try connection.setPrefetch(1_000)
        try connection.consume(queue: queue, noAck: true)
        let deadline = ContinuousClock.now + timeout
        var requestByEvent: [String: Int64] = [:]
        while requestByEvent.count < distinct, ContinuousClock.now < deadline {
            guard let delivery = try connection.nextDelivery(timeout: deadline - ContinuousClock.now) else { continue }
            let event = try JSONDecoder().decode(Event.self, from: Data(delivery.body))
            if let earlier = requestByEvent[event.eventId] {
                #expect(earlier == event.request.request.id, "a republished event names the same request")
            }
            requestByEvent[event.eventId] = event.request.request.id
        }
        return requestByEvent
    }

    func delete() throws {
        let connection = try AMQPConnection.open(to: Cluster.brokers)
        defer { connection.close() }
        try connection.openChannel()
        try connection.deleteQueue(queue)
    }
}
