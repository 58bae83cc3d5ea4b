import CAMQPShims
import CRabbitMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AMQPConnection {
    /// Limits how many unacked deliveries the broker sends each consumer on the channel.
    public func setPrefetch(_ count: UInt16, channel: UInt16 = 1) throws(AMQPError) {
        try ensureOpen()
        _ = amqp_basic_qos(state, channel, 0, count, 0)
        try checkReply("setting prefetch to \(count)", channel: channel)
    }

    /// Starts a consumer; returns its tag. Deliveries then arrive through ``nextDelivery(timeout:)``.
    @discardableResult
    public func consume(
        queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false, channel: UInt16 = 1
    ) throws(AMQPError) -> String {
        try ensureOpen()
        let arena = CArena()
        let ok = amqp_basic_consume(
            state, channel, arena.bytes(queue), arena.bytes(consumerTag), 0, noAck ? 1 : 0, exclusive ? 1 : 0,
            amqp_table_t(num_entries: 0, entries: nil))
        try checkReply("consuming from '\(queue)'", channel: channel)
        return ok?.pointee.consumer_tag.string ?? consumerTag
    }

    /// The next delivery for any consumer on this connection, or nil when none came within
    /// `timeout` (nil timeout: wait as long as it takes). Services heartbeats while waiting.
    /// Throws when the broker closes the channel or connection or cancels a consumer, so a
    /// consumer on a dead connection learns of it instead of hanging.
    public func nextDelivery(timeout: Duration?) throws(AMQPError) -> AMQPDelivery? {
        try ensureOpen()
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            amqp_maybe_release_buffers(state)
            var envelope = amqp_envelope_t()
            var wait = deadline.map { timeval(max(.zero, $0 - ContinuousClock.now)) } ?? timeval()
            let reply = deadline == nil
                ? amqp_consume_message(state, &envelope, nil, 0)
                : amqp_consume_message(state, &envelope, &wait, 0)
            switch reply.reply_type {
            case AMQP_RESPONSE_NORMAL:
                defer { amqp_destroy_envelope(&envelope) }
                return AMQPDelivery(
                    channel: envelope.channel, deliveryTag: envelope.delivery_tag,
                    consumerTag: envelope.consumer_tag.string, exchange: envelope.exchange.string,
                    routingKey: envelope.routing_key.string, redelivered: envelope.redelivered != 0,
                    properties: AMQPProperties(envelope.message.properties), body: envelope.message.body.array)
            case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_TIMEOUT.rawValue:
                return nil
            case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue:
                // A frame other than a delivery is next: read it and act on it.
                var frame = amqp_frame_t()
                try checkStatus(amqp_simple_wait_frame(state, &frame), "reading a frame while consuming")
                try handleUnsolicited(frame, during: "consuming")
            default:
                try check(reply, "consuming", channel: 0)
            }
        }
    }

    /// basic.get: the queue's next message, or nil when the queue answers that it is empty.
    /// Unlike a passive declare's message count, which RabbitMQ 3.10 reads as 0 when a quorum
    /// queue's Raft member does not answer within 250 ms, nil here is the queue's own answer.
    public func get(queue: String, noAck: Bool = false, channel: UInt16 = 1) throws(AMQPError) -> AMQPDelivery? {
        try ensureOpen()
        let arena = CArena()
        let reply = amqp_basic_get(state, channel, arena.bytes(queue), noAck ? 1 : 0)
        try check(reply, "getting a message from '\(queue)'", channel: channel)
        guard reply.reply.id == Method.basicGetOk, let decoded = reply.reply.decoded else { return nil }
        // Copied before the message is read: the method's strings live in the channel's buffers.
        let ok = decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        let (exchange, routingKey) = (ok.exchange.string, ok.routing_key.string)
        var message = amqp_message_t()
        try check(amqp_read_message(state, channel, &message, 0), "reading the message got from '\(queue)'", channel: channel)
        defer { amqp_destroy_message(&message) }
        return AMQPDelivery(
            channel: channel, deliveryTag: ok.delivery_tag, consumerTag: "", exchange: exchange, routingKey: routingKey,
            redelivered: ok.redelivered != 0, properties: AMQPProperties(message.properties), body: message.body.array)
    }

    public func ack(_ deliveryTag: UInt64, multiple: Bool = false, channel: UInt16 = 1) throws(AMQPError) {
        try ensureOpen()
        try checkStatus(amqp_basic_ack(state, channel, deliveryTag, multiple ? 1 : 0), "acking delivery \(deliveryTag)")
    }

    /// basic.reject: with `requeue: false` the message goes to the queue's dead-letter
    /// exchange, and quorum queues count it against their delivery limit.
    public func reject(_ deliveryTag: UInt64, requeue: Bool, channel: UInt16 = 1) throws(AMQPError) {
        try ensureOpen()
        try checkStatus(amqp_basic_reject(state, channel, deliveryTag, requeue ? 1 : 0), "rejecting delivery \(deliveryTag)")
    }

    public func nack(_ deliveryTag: UInt64, multiple: Bool = false, requeue: Bool, channel: UInt16 = 1) throws(AMQPError) {
        try ensureOpen()
        try checkStatus(
            amqp_basic_nack(state, channel, deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0), "nacking delivery \(deliveryTag)")
    }
}
