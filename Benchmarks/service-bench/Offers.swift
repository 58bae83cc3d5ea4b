import AMQP
import Foundation
import SwitchboardCore

/// An operator console that answers every offer as soon as it sees it: consumes the offers
/// bound by `offers` and publishes `answer`'s message to the queue `answers`, persistent and
/// confirmed in windows of 256, asking for a reply in a queue of its own (a real console
/// reads it; this one lets the broker keep only the latest, as the work that counts is the
/// router's sending it).
final class AcceptingConsole: @unchecked Sendable {
    typealias Answer = (_ offer: AMQPDelivery) throws -> (body: [UInt8], messageId: String)?
    private let url: AMQPURL
    private let offers: (exchange: String, routingKey: String)
    private let answers: String
    private let answer: Answer
    private let lock = NSLock()
    private var stopping = false
    private var accepted = 0
    private var failure: Error?
    private let ready = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    init(url: AMQPURL, offers: (exchange: String, routingKey: String), answers: String, answer: @escaping Answer) {
        self.url = url
        self.offers = offers
        self.answers = answers
        self.answer = answer
    }

    /// The console of a Switchboard: `request.accept` for the operator offered to, with a
    /// message id as `ControlClient` gives every command (random, a UUID).
    static func accepting(url: AMQPURL, topology: Topology) -> AcceptingConsole {
        AcceptingConsole(url: url, offers: (topology.events, EventName.requestOffered.rawValue), answers: topology.control) { delivery in
            // Core's byte-level parser, not JSONDecoder: the console shares the machine
            // with the service it measures.
            let event = try JSONParser.parse(delivery.body)
            guard case let .integer(id)? = event["request"]?["id"], case let .integer(operatorId)? = event["request"]?["operator_id"]
            else { return nil }
            let body = #"{"command":"request.accept","args":{"id":\#(id),"operator_id":\#(operatorId)}}"#
            return (Array(body.utf8), UUID().uuidString.lowercased())
        }
    }

    /// The ceiling's console: echoes each offer back with the producer's id, so the sink
    /// matches what finally comes out to what went in.
    static func echoing(url: AMQPURL, passThrough: PassThrough) -> AcceptingConsole {
        AcceptingConsole(url: url, offers: (passThrough.output, "offered"), answers: passThrough.answers) { delivery in
            delivery.properties.correlationId.map { (delivery.body, $0) }
        }
    }

    func start() {
        Thread { [self] in
            do {
                let events = try AMQPConnection(url: url, options: .init(connectionName: "bench console"))
                try events.openChannel()
                let queue = try events.declareQueue("", durable: false, exclusive: true, autoDelete: true).name
                try events.bindQueue(queue, exchange: offers.exchange, routingKey: offers.routingKey)
                try events.setPrefetch(2_000)
                try events.consume(queue: queue, noAck: true, exclusive: true)
                let commands = try AMQPConnection(url: url, options: .init(connectionName: "bench console commands"))
                try commands.openChannel()
                let replies = try commands.declareQueue("", durable: false, exclusive: true, autoDelete: true,
                                                        arguments: ["x-max-length": .int(1)]).name
                try commands.enableConfirms()
                ready.signal()
                var unconfirmed = 0
                while !lock.withLock({ stopping }) {
                    guard let delivery = try events.nextDelivery(timeout: .milliseconds(100)) else {
                        if unconfirmed > 0 { try commands.waitForConfirms(); unconfirmed = 0 }
                        continue
                    }
                    guard let (body, messageId) = try answer(delivery) else { continue }
                    try commands.publish(exchange: "", routingKey: answers, body: body,
                                         properties: AMQPProperties(contentType: "application/json", persistent: true,
                                                                    correlationId: messageId, replyTo: replies, messageId: messageId))
                    unconfirmed += 1
                    if unconfirmed == 256 { try commands.waitForConfirms(); unconfirmed = 0 }
                    lock.withLock { accepted += 1 }
                }
                events.close()
                commands.close()
            } catch {
                lock.withLock { failure = error }
                ready.signal()
            }
            done.signal()
        }.start()
        ready.wait()
    }

    /// Stops it; returns how many offers it accepted.
    func stop() throws -> Int {
        lock.withLock { stopping = true }
        done.wait()
        return try lock.withLock {
            if let failure { throw failure }
            return accepted
        }
    }
}

/// Many offers expiring in the same second: publishes `count` requests to a service whose
/// offers last `timeout` seconds and whom nobody answers, then records, for each request,
/// how long after its deadline its re-route (the next `request.offered`) arrived.
struct MassExpiry {
    var url: AMQPURL
    var topology: Topology

    /// Returns how many requests were offered, and each re-route's seconds after its deadline, sorted.
    func run(count: Int, run id: String) throws -> (offered: Int, lateness: [Double]) {
        let connection = try AMQPConnection(url: url, options: .init(connectionName: "bench expiry watcher"))
        defer { connection.close() }
        try connection.openChannel()
        let queue = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true).name
        try connection.bindQueue(queue, exchange: topology.events, routingKey: EventName.requestOffered.rawValue)
        try connection.setPrefetch(2_000)
        try connection.consume(queue: queue, noAck: true, exclusive: true)
        try Producer(url: url, queue: topology.requests, source: "bench").publish(count: count, run: id, ratePerSecond: nil) { _ in }
        var deadlines: [Int64: Int64] = [:]  // request id → its first offer's deadline (epoch ms)
        var lateness: [Double] = []
        let giveUp = ContinuousClock.now + .seconds(120)
        while lateness.count < count, ContinuousClock.now < giveUp {
            guard let delivery = try connection.nextDelivery(timeout: .seconds(5)) else { continue }
            let arrived = Timestamp.now().milliseconds
            let event = try JSONDecoder().decode(Event.self, from: Data(delivery.body))
            let request = event.request.request
            guard let due = request.offerExpiresAt?.milliseconds else { continue }
            if let firstDue = deadlines[request.id] {
                if firstDue != due { lateness.append(Double(arrived - firstDue) / 1000) }
            } else {
                deadlines[request.id] = due
            }
        }
        return (deadlines.count, lateness.sorted())
    }
}
