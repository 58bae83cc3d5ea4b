import CAMQPShims
import CRabbitMQ

// Turning rabbitmq-c's status codes, RPC replies and unsolicited frames into AMQPError,
// and answering the broker's close methods so the protocol stays in step.
extension AMQPConnection {
    func checkReply(_ operation: String, channel: UInt16) throws(AMQPError) {
        try check(amqp_get_rpc_reply(state), operation, channel: channel)
    }

    func check(_ reply: amqp_rpc_reply_t, _ operation: String, channel: UInt16) throws(AMQPError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            try checkStatus(reply.library_error, operation)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            try handleClose(id: reply.reply.id, decoded: reply.reply.decoded, channel: channel, during: operation)
            throw .library(operation: operation, status: -1, detail: "unexpected server method \(reply.reply.id)")
        default:
            throw .library(operation: operation, status: -1, detail: "no RPC reply")
        }
    }

    func checkStatus(_ status: Int32, _ operation: String) throws(AMQPError) {
        guard status != AMQP_STATUS_OK.rawValue else { return }
        // Every library failure leaves the socket in an unknown state: the connection is done.
        isOpen = false
        if status == AMQP_STATUS_SOCKET_ERROR.rawValue || status == AMQP_STATUS_CONNECTION_CLOSED.rawValue
            || status == AMQP_STATUS_SOCKET_CLOSED.rawValue || status == AMQP_STATUS_HEARTBEAT_TIMEOUT.rawValue
        {
            throw .socket(operation: operation, detail: Self.describe(status))
        }
        throw .library(operation: operation, status: status, detail: Self.describe(status))
    }

    /// Answers channel.close / connection.close and throws the matching error; returns for
    /// any other method.
    func handleClose(id: UInt32, decoded: UnsafeMutableRawPointer?, channel: UInt16, during operation: String) throws(AMQPError) {
        if id == Method.channelClose, let decoded {
            let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            var ok = amqp_channel_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, channel, Method.channelCloseOk, &ok)
            openChannels.remove(channel)
            confirmTrackers[channel] = nil
            throw .channelClosed(code: Int(close.reply_code), text: close.reply_text.string, operation: operation)
        }
        if id == Method.connectionClose, let decoded {
            let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            var ok = amqp_connection_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, 0, Method.connectionCloseOk, &ok)
            isOpen = false
            throw .connectionClosed(code: Int(close.reply_code), text: close.reply_text.string)
        }
    }

    /// A frame that arrived while we were waiting for something else: confirms, returns,
    /// flow control, cancellation, or a close.
    func handleUnsolicited(_ frame: amqp_frame_t, during operation: String) throws(AMQPError) {
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return }
        let method = frame.payload.method
        switch method.id {
        case Method.basicAck:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            confirmTrackers[frame.channel]?.confirm(upTo: ack.delivery_tag, multiple: ack.multiple != 0, nacked: false)
        case Method.basicNack:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            confirmTrackers[frame.channel]?.confirm(upTo: nack.delivery_tag, multiple: nack.multiple != 0, nacked: true)
        case Method.basicReturn:
            let ret = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            let error = AMQPError.returned(
                code: Int(ret.reply_code), text: ret.reply_text.string,
                exchange: ret.exchange.string, routingKey: ret.routing_key.string)
            // The returned message's header and body frames follow; read them off the wire.
            var message = amqp_message_t()
            try check(amqp_read_message(state, frame.channel, &message, 0), "reading a returned message", channel: frame.channel)
            amqp_destroy_message(&message)
            confirmTrackers[frame.channel]?.returned.append(error)
        case Method.basicCancel:
            let cancel = method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            throw .consumerCancelled(tag: cancel.consumer_tag.string)
        case Method.connectionBlocked:
            isBlockedByBroker = true
        case Method.connectionUnblocked:
            isBlockedByBroker = false
        default:
            try handleClose(id: method.id, decoded: method.decoded, channel: frame.channel, during: operation)
        }
    }
}
