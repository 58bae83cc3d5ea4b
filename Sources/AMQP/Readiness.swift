import CRabbitMQ
import Glibc

extension AMQPConnection {
    /// Whether something from the broker can be read without waiting: frames rabbitmq-c has
    /// decoded already, or bytes in its buffer.
    var hasBufferedInput: Bool {
        isOpen && (amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0)
    }

    /// Waits until any of `connections` has something to read or `timeout` passes, and says
    /// whether one has; reads nothing itself. Bytes a TLS layer has decrypted and not yet
    /// handed over do not wake poll(2), so keep the timeout short on TLS connections.
    public static func waitForInput(on connections: [AMQPConnection], timeout: Duration) -> Bool {
        if connections.contains(where: \.hasBufferedInput) { return true }
        var sockets = connections.compactMap { connection -> pollfd? in
            guard connection.isOpen else { return nil }
            let fd = amqp_get_sockfd(connection.state)
            return fd < 0 ? nil : pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        }
        guard !sockets.isEmpty else { return false }
        let milliseconds = Int32(clamping: max(0, (timeout.components.seconds * 1_000) + timeout.components.attoseconds / 1_000_000_000_000_000))
        return poll(&sockets, nfds_t(sockets.count), milliseconds) > 0
    }
}
