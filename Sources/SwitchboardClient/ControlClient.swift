import AMQP
import Foundation
import SwitchboardCore

/// A reply as it comes back from the control queue.
public struct ReplyEnvelope: Sendable, Decodable {
    public var ok: Bool
    public var result: JSONValue?
    public var error: CommandError?
}

/// Talks to a running Switchboard over the contract: control commands with request/reply
/// through RabbitMQ's direct reply-to, and intake messages with publisher confirms.
///
/// Like the connections it holds, a client belongs to one thread.
public final class ControlClient {
    public let topology: Topology
    private let brokers: AMQPBrokers
    private var rpc: AMQPConnection?
    private var publisher: AMQPConnection?

    public convenience init(url: AMQPURL, prefix: String) {
        self.init(brokers: AMQPBrokers(url), prefix: prefix)
    }

    /// Connects to one of the nodes, moving on to the next when one fails or refuses.
    public init(brokers: AMQPBrokers, prefix: String) {
        self.brokers = brokers
        topology = Topology(prefix: prefix)
    }

    /// Sends a command and waits for its reply. Throws `.timeout` when the service does not
    /// answer in time.
    public func call(_ command: String, _ args: [String: JSONValue] = [:], timeout: Duration = .seconds(5)) throws -> ReplyEnvelope {
        let body = try JSONEncoder().encode(JSONValue.object(["command": .string(command), "args": .object(args)]))
        return try call(raw: Array(body), timeout: timeout)
    }

    /// Sends any bytes as a command (tests use it for malformed ones). The message names its
    /// sender: `user_id` is the URL's user, which the broker checks against the connection's.
    public func call(raw body: [UInt8], timeout: Duration = .seconds(5)) throws -> ReplyEnvelope {
        let connection = try rpcConnection()
        let correlationId = UUID().uuidString.lowercased()
        // Through the control queue's own exchange, so a console allowed to write there alone
        // can use it (see Topology).
        try connection.publish(
            exchange: topology.control, routingKey: topology.control, body: body,
            properties: AMQPProperties(contentType: "application/json", persistent: true, correlationId: correlationId,
                                       replyTo: "amq.rabbitmq.reply-to", messageId: correlationId, userId: connection.url.user))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let delivery = try connection.nextDelivery(timeout: deadline - ContinuousClock.now) else { break }
            // A late reply to an earlier call that timed out: not ours.
            guard delivery.properties.correlationId == correlationId else { continue }
            return try JSONDecoder().decode(ReplyEnvelope.self, from: Data(delivery.body))
        }
        throw AMQPError.timeout(operation: "a reply from the service on '\(topology.control)'")
    }

    /// Publishes an intake message, persistent, and waits for the broker's confirm.
    public func sendIntake(_ body: [UInt8], messageId: String? = UUID().uuidString.lowercased(), headers: AMQPTable? = nil) throws {
        try sendIntake([(body, messageId)], headers: headers)
    }

    /// Publishes many intake messages and waits for their confirms once.
    public func sendIntake(_ messages: [(body: [UInt8], messageId: String?)], headers: AMQPTable? = nil) throws {
        let connection = try publisherConnection()
        for (body, messageId) in messages {
            try connection.publish(
                exchange: topology.requests, routingKey: topology.requests, body: body,
                properties: AMQPProperties(contentType: "application/json", headers: headers, persistent: true, messageId: messageId))
        }
        try connection.waitForConfirms()
    }

    public func close() {
        rpc?.close()
        publisher?.close()
        rpc = nil
        publisher = nil
    }

    private func rpcConnection() throws(AMQPError) -> AMQPConnection {
        if let rpc, rpc.isChannelOpen(1) { return rpc }
        rpc?.close()
        let connection = try AMQPConnection.open(to: brokers, options: .init(connectionName: "switchboardctl"))
        try connection.openChannel()
        try connection.consume(queue: "amq.rabbitmq.reply-to", noAck: true)
        rpc = connection
        return connection
    }

    private func publisherConnection() throws(AMQPError) -> AMQPConnection {
        if let publisher, publisher.isChannelOpen(1) { return publisher }
        publisher?.close()
        let connection = try AMQPConnection.open(to: brokers, options: .init(connectionName: "switchboardctl publisher"))
        try connection.openChannel()
        try connection.enableConfirms()
        publisher = connection
        return connection
    }
}
