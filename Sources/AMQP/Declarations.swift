import CAMQPShims
import CRabbitMQ

public enum ExchangeType: String, Sendable {
    case direct, fanout, topic, headers
}

/// What queue.declare reports back.
public struct QueueInfo: Sendable, Equatable {
    public var name: String
    public var messageCount: UInt32
    public var consumerCount: UInt32
}

extension AMQPConnection {
    public func declareExchange(
        _ name: String, type: ExchangeType, durable: Bool = true, autoDelete: Bool = false,
        arguments: AMQPTable = [:], channel: UInt16 = 1
    ) throws(AMQPError) {
        try ensureOpen()
        let arena = CArena()
        _ = amqp_exchange_declare(
            state, channel, arena.bytes(name), arena.bytes(type.rawValue), 0, durable ? 1 : 0,
            autoDelete ? 1 : 0, 0, arena.table(arguments))
        try checkReply("declaring exchange '\(name)'", channel: channel)
    }

    /// Declares a queue; an empty name asks the broker to make one up (returned in the info).
    @discardableResult
    public func declareQueue(
        _ name: String, durable: Bool = true, exclusive: Bool = false, autoDelete: Bool = false,
        arguments: AMQPTable = [:], passive: Bool = false, channel: UInt16 = 1
    ) throws(AMQPError) -> QueueInfo {
        try ensureOpen()
        let arena = CArena()
        let ok = amqp_queue_declare(
            state, channel, arena.bytes(name), passive ? 1 : 0, durable ? 1 : 0, exclusive ? 1 : 0,
            autoDelete ? 1 : 0, arena.table(arguments))
        try checkReply("declaring queue '\(name)'", channel: channel)
        guard let ok else { throw .library(operation: "declaring queue '\(name)'", status: -1, detail: "no declare-ok") }
        return QueueInfo(name: ok.pointee.queue.string, messageCount: ok.pointee.message_count,
                         consumerCount: ok.pointee.consumer_count)
    }

    public func bindQueue(
        _ queue: String, exchange: String, routingKey: String = "", arguments: AMQPTable = [:], channel: UInt16 = 1
    ) throws(AMQPError) {
        try ensureOpen()
        let arena = CArena()
        _ = amqp_queue_bind(state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey),
                            arena.table(arguments))
        try checkReply("binding queue '\(queue)' to '\(exchange)'", channel: channel)
    }

    @discardableResult
    public func deleteQueue(_ name: String, channel: UInt16 = 1) throws(AMQPError) -> UInt32 {
        try ensureOpen()
        let arena = CArena()
        let ok = amqp_queue_delete(state, channel, arena.bytes(name), 0, 0)
        try checkReply("deleting queue '\(name)'", channel: channel)
        return ok?.pointee.message_count ?? 0
    }

    public func deleteExchange(_ name: String, channel: UInt16 = 1) throws(AMQPError) {
        try ensureOpen()
        let arena = CArena()
        _ = amqp_exchange_delete(state, channel, arena.bytes(name), 0)
        try checkReply("deleting exchange '\(name)'", channel: channel)
    }
}
