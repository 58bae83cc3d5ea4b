import CRabbitMQ
import Glibc

extension AMQPConnection {
    /// Whether something from the broker can be read without waiting: frames rabbitmq-c has
    /// decoded already, or bytes in its buffer.
    var hasBufferedInput: Bool {
        isOpen && (amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0)
    }

    /// Waits until any of `connections` has something to read or `timeout` passes, and says
    /// which have (their positions; empty when the time passed); reads nothing itself. Bytes a
    /// TLS layer has decrypted and not yet handed over do not wake poll(2), so keep the
    /// timeout short on TLS connections.
    public static func waitForInput(on connections: [AMQPConnection], timeout: Duration) -> Set<Int> {
        let buffered = Set(connections.indices.filter { connections[$0].hasBufferedInput })
        if !buffered.isEmpty { return buffered }
        var sockets: [pollfd] = []
        var positions: [Int] = []
        for (position, connection) in connections.enumerated() where connection.isOpen {
            let fd = amqp_get_sockfd(connection.state)
            guard fd >= 0 else { continue }
            sockets.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            positions.append(position)
        }
        guard !sockets.isEmpty else { return [] }
        let milliseconds = Int32(clamping: max(0, timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        guard poll(&sockets, nfds_t(sockets.count), milliseconds) > 0 else { return [] }
        return Set(zip(sockets, positions).filter { $0.0.revents != 0 }.map(\.1))
    }
}
