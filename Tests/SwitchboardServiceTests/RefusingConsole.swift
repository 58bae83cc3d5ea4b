import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore

/// A console whose queue refuses events once full: bound to every event with `x-max-length`
/// and `x-overflow: reject-publish`, the setting the operations guide warns against. Nothing
/// reads it until ``drain(until:timeout:)``.
final class RefusingConsole {
    let queue: String
    private let exchange: String
    private let connection: AMQPConnection

    init(prefix: String, room: Int, brokers: AMQPBrokers = AMQPBrokers(brokerURL)) throws {
        queue = "\(prefix).refusing-console"
        exchange = Topology(prefix: prefix).events
        connection = try AMQPConnection.open(to: brokers)
        try connection.openChannel()
        try declare(room: room)
    }

    private func declare(room: Int) throws {
        try connection.declareQueue(queue, durable: false, arguments: ["x-max-length": .int(Int64(room)), "x-overflow": "reject-publish"])
        try connection.bindQueue(queue, exchange: exchange, routingKey: "#")
    }

    /// The console's fix: its queue declared again with room for `room` (what it held is gone).
    func makeRoom(_ room: Int) throws {
        try connection.deleteQueue(queue)
        try declare(room: room)
    }

    var messageCount: UInt32 {
        get throws { try connection.declareQueue(queue, passive: true).messageCount }
    }

    /// Reads the queue, as a console that has caught up, until `isDone` holds for the event
    /// ids read or time runs out; returns each event id read with its body. Once a console.
    func drain(until isDone: ([String: [UInt8]]) -> Bool, timeout: Duration) throws -> [String: [UInt8]] {
        try connection.setPrefetch(1_000)
        try connection.consume(queue: queue, noAck: true)
        var read: [String: [UInt8]] = [:]
        let deadline = ContinuousClock.now + timeout
        while !isDone(read), ContinuousClock.now < deadline {
            guard let delivery = try connection.nextDelivery(timeout: min(.milliseconds(500), deadline - .now)) else { continue }
            read[delivery.properties.messageId ?? ""] = delivery.body
        }
        return read
    }

    func close() {
        _ = try? connection.deleteQueue(queue)
        connection.close()
    }
}

/// The `sequence` an event's body carries.
func sequence(of body: [UInt8]) -> Int64? {
    (try? JSONDecoder().decode(Event.self, from: Data(body)))?.sequence
}

extension EventWatcher {
    /// Collects events until none has come for `quietFor`, `count` have come, or `timeout`
    /// has passed.
    func collect(_ count: Int, quietFor: Duration, timeout: Duration) throws -> [ReceivedEvent] {
        let deadline = ContinuousClock.now + timeout
        var events: [ReceivedEvent] = []
        while events.count < count, ContinuousClock.now < deadline {
            guard let event = try next(timeout: min(quietFor, deadline - .now)) else { break }
            events.append(event)
        }
        return events
    }
}
