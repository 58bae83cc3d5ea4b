import AMQP
import Foundation
import SwitchboardCore

/// An event as a console receives it: the AMQP envelope and the decoded body, which is a
/// request event (`request.*`) or a presence change (`operator.presence_changed`).
public struct ReceivedEvent: Sendable {
    public var routingKey: String
    public var properties: AMQPProperties
    public var event: Event?
    public var presenceChange: PresenceEvent?
    public var body: [UInt8]

    /// The request a `request.*` event carries.
    public var request: Request? { event?.request.request }
}

/// Subscribes to the events exchange through an exclusive, auto-delete queue of its own, as
/// an operator console does. The queue is named `<user>.watch.<random>` after the URL's user,
/// so a broker user can be allowed to read its own queues alone (scripts/broker-roles).
public final class EventWatcher {
    private let connection: AMQPConnection
    public let queue: String

    public convenience init(url: AMQPURL, exchange: String, pattern: String = "#") throws(AMQPError) {
        try self.init(brokers: AMQPBrokers(url), exchange: exchange, pattern: pattern)
    }

    /// Watches through one of the nodes, moving on to the next when one fails or refuses.
    public init(brokers: AMQPBrokers, exchange: String, pattern: String = "#") throws(AMQPError) {
        connection = try AMQPConnection.open(to: brokers, options: .init(connectionName: "switchboard watcher"))
        try connection.openChannel()
        let name = "\(connection.url.user).watch.\(UUID().uuidString.prefix(8).lowercased())"
        queue = try connection.declareQueue(name, durable: false, exclusive: true, autoDelete: true).name
        try connection.bindQueue(queue, exchange: exchange, routingKey: pattern)
        try connection.setPrefetch(1_000)
        try connection.consume(queue: queue, noAck: true, exclusive: true)
    }

    /// The next event, or nil if none arrives in time.
    public func next(timeout: Duration) throws -> ReceivedEvent? {
        guard let delivery = try connection.nextDelivery(timeout: timeout) else { return nil }
        var received = ReceivedEvent(routingKey: delivery.routingKey, properties: delivery.properties, body: delivery.body)
        if delivery.routingKey == EventName.operatorPresenceChanged.rawValue {
            received.presenceChange = try JSONDecoder().decode(PresenceEvent.self, from: Data(delivery.body))
        } else {
            received.event = try JSONDecoder().decode(Event.self, from: Data(delivery.body))
        }
        return received
    }

    /// Collects events until `count` have arrived or `timeout` has passed.
    public func collect(_ count: Int, timeout: Duration) throws -> [ReceivedEvent] {
        let deadline = ContinuousClock.now + timeout
        var events: [ReceivedEvent] = []
        while events.count < count, ContinuousClock.now < deadline {
            if let event = try next(timeout: deadline - ContinuousClock.now) { events.append(event) }
        }
        return events
    }

    public func close() { connection.close() }
}
