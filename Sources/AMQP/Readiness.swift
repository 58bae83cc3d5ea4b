import CRabbitMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        // One descriptor per connection, -1 for a closed one.
        let descriptors = connections.map { $0.isOpen ? amqp_get_sockfd($0.state) : -1 }
        var sockets = descriptors.filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard !sockets.isEmpty else { return [] }
        let milliseconds = Int32(clamping: max(0, timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        guard poll(&sockets, nfds_t(sockets.count), milliseconds) > 0 else { return [] }
        let ready = Set(sockets.filter { $0.revents != 0 }.map(\.fd))
        return Set(descriptors.indices.filter { ready.contains(descriptors[$0]) })
    }
}

extension AMQPConnection {
    /// What a wait on a connection and one more descriptor ended with.
    public struct Readiness: Sendable, Equatable {
        public var connection: Bool
        public var other: Bool
    }

    /// Waits until this connection has something to read, `descriptor` (a pipe another
    /// thread writes to, say) is readable, or `timeout` passes; reads nothing itself. On a
    /// TLS connection the wait is cut to 5 ms (poll(2) misses what TLS has decrypted, see
    /// ``waitForInput(on:timeout:)``), so the caller turns more often and misses nothing.
    public func waitForInput(alsoWatching descriptor: Int32, timeout: Duration) -> Readiness {
        if hasBufferedInput { return Readiness(connection: true, other: false) }
        let socket = isOpen ? amqp_get_sockfd(state) : -1
        var watched = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        let wait = url.tls ? min(timeout, .milliseconds(5)) : timeout
        let milliseconds = Int32(clamping: max(0, wait.components.seconds * 1_000 + wait.components.attoseconds / 1_000_000_000_000_000))
        guard poll(&watched, nfds_t(watched.count), milliseconds) > 0 else { return Readiness(connection: false, other: false) }
        return Readiness(connection: watched[1].revents != 0, other: watched[0].revents != 0)
    }
}
