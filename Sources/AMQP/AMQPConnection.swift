// Every file of this module imports both C modules: both textually include amqp.h, and
// clang may attribute its symbols to either.
import CAMQPShims
import CRabbitMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One connection to RabbitMQ through rabbitmq-c.
///
/// rabbitmq-c is not thread-safe, and it only services heartbeats inside library calls, so a
/// connection belongs to one thread for its whole life and that thread must call into it
/// (``nextDelivery(timeout:)``, ``waitForConfirms(channel:timeout:)`` or ``pump()``) at least
/// every heartbeat/2. The type is deliberately not `Sendable`: create it on the thread that
/// will own it (the service's writer thread, started by `SwitchboardService`; in tests and
/// tools, ``DedicatedThread``), never on the Swift concurrency pool.
///
/// A connection that consumes and one that waits for publisher confirms interleave frames;
/// keep those on separate connections (both may be owned by the same thread).
public final class AMQPConnection {
    public struct Options: Sendable {
        /// Seconds between heartbeats; 0 disables them (not recommended: a dead peer then
        /// goes unnoticed until TCP gives up).
        public var heartbeatSeconds: Int32 = 30
        public var connectTimeoutSeconds: Int = 10
        /// Bound on synchronous RPCs (declare, qos, consume) and on blocked socket writes.
        public var operationTimeoutSeconds: Int = 30
        /// Shown in the management UI beside the connection.
        public var connectionName: String = "switchboard"
        public var frameMax: Int32 = 131_072

        public init(connectionName: String = "switchboard", heartbeatSeconds: Int32 = 30) {
            self.connectionName = connectionName
            self.heartbeatSeconds = heartbeatSeconds
        }
    }

    public let url: AMQPURL
    public internal(set) var isOpen = false
    /// Set while the broker has blocked publishing on this connection (a memory or disk alarm).
    public internal(set) var isBlockedByBroker = false
    let state: amqp_connection_state_t
    var confirmTrackers: [UInt16: ConfirmTracker] = [:]
    var openChannels: Set<UInt16> = []

    public init(url: AMQPURL, options: Options = Options()) throws(AMQPError) {
        self.url = url
        guard let state = amqp_new_connection() else {
            throw .library(operation: "amqp_new_connection", status: -1, detail: "out of memory")
        }
        self.state = state
        // If opening throws, deinit still runs and destroys the state.
        try open(options)
        isOpen = true
    }

    deinit {
        if isOpen { _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS)) }
        amqp_destroy_connection(state)
    }

    private func open(_ options: Options) throws(AMQPError) {
        let socket: OpaquePointer?
        if url.tls {
            socket = amqp_ssl_socket_new(state)
            if let socket { try configureTLS(socket) }
        } else {
            socket = amqp_tcp_socket_new(state)
        }
        guard let socket else {
            throw .library(operation: "creating a socket", status: -1, detail: "out of memory")
        }
        var connectTimeout = timeval(tv_sec: options.connectTimeoutSeconds, tv_usec: 0)
        let status = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &connectTimeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw .socket(operation: "connecting to \(url)", detail: Self.describe(status))
        }
        var rpcTimeout = timeval(tv_sec: options.operationTimeoutSeconds, tv_usec: 0)
        amqp_set_handshake_timeout(state, &rpcTimeout)
        amqp_set_rpc_timeout(state, &rpcTimeout)
        _ = sb_set_send_timeout(state, Int32(options.operationTimeoutSeconds * 1000))
        let reply = sb_login(
            state, url.vhost, 0, options.frameMax, options.heartbeatSeconds,
            url.user, url.password, options.connectionName)
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == Method.connectionClose:
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            throw .loginRefused(url: url.description, detail: "\(close.reply_code) \(close.reply_text.string)")
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw .loginRefused(
                url: url.description,
                detail: "the broker closed the connection during login (\(Self.describe(reply.library_error)))")
        default:
            throw .loginRefused(url: url.description, detail: "unexpected reply to login")
        }
    }

    /// The URL's TLS settings (trusted CAs, client certificate, verification) on a TLS socket.
    private func configureTLS(_ socket: OpaquePointer) throws(AMQPError) {
        amqp_ssl_socket_set_verify_peer(socket, url.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, url.verifyPeer ? 1 : 0)
        if let ca = url.caCertificateFile {
            let status = amqp_ssl_socket_set_cacert(socket, ca)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw .socket(operation: "loading the CA certificates in \(ca)", detail: Self.describe(status))
            }
        }
        if let certificate = url.certificateFile, let key = url.keyFile {
            let status = amqp_ssl_socket_set_key(socket, certificate, key)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw .socket(operation: "loading the client certificate \(certificate) and key \(key)", detail: Self.describe(status))
            }
        }
    }

    /// Closes the connection politely (connection.close), letting the broker requeue what
    /// this connection left unacked. Safe to call twice.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
    }

    public func openChannel(_ channel: UInt16 = 1) throws(AMQPError) {
        try ensureOpen()
        _ = amqp_channel_open(state, channel)
        try checkReply("opening channel \(channel)", channel: channel)
        openChannels.insert(channel)
    }

    public func closeChannel(_ channel: UInt16 = 1) throws(AMQPError) {
        guard openChannels.contains(channel) else { return }
        try ensureOpen()
        openChannels.remove(channel)
        confirmTrackers[channel] = nil
        try check(amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS)), "closing channel \(channel)", channel: channel)
    }

    /// Whether the broker has closed this channel (after an error on it).
    public func isChannelOpen(_ channel: UInt16) -> Bool { isOpen && openChannels.contains(channel) }

    /// Services heartbeats and reads any frame the broker sent unprompted. Call it on a
    /// publishing connection that would otherwise sit idle longer than heartbeat/2.
    public func pump() throws(AMQPError) {
        try ensureOpen()
        var frame = amqp_frame_t()
        var zero = timeval(tv_sec: 0, tv_usec: 0)
        while true {
            let status = amqp_simple_wait_frame_noblock(state, &frame, &zero)
            if status == AMQP_STATUS_TIMEOUT.rawValue { return }
            try checkStatus(status, "reading from the broker")
            try handleUnsolicited(frame, during: "idle")
        }
    }

    /// Sends one heartbeat frame without reading anything: a consumer that must not take
    /// further deliveries yet (it holds a batch it cannot commit) still shows it is alive.
    public func sendHeartbeat() throws(AMQPError) {
        try ensureOpen()
        var frame = amqp_frame_t()
        frame.frame_type = UInt8(AMQP_FRAME_HEARTBEAT)
        frame.channel = 0
        try checkStatus(amqp_send_frame(state, &frame), "sending a heartbeat")
    }

    func ensureOpen() throws(AMQPError) {
        guard isOpen else { throw .closed }
    }

    static func describe(_ status: Int32) -> String {
        String(cString: amqp_error_string2(status))
    }
}

/// Method ids of amqp_framing.h; Swift does not import its casted macros.
enum Method {
    static let connectionClose: UInt32 = 0x000A_0032
    static let connectionCloseOk: UInt32 = 0x000A_0033
    static let connectionBlocked: UInt32 = 0x000A_003C
    static let connectionUnblocked: UInt32 = 0x000A_003D
    static let channelClose: UInt32 = 0x0014_0028
    static let channelCloseOk: UInt32 = 0x0014_0029
    static let basicCancel: UInt32 = 0x003C_001E
    static let basicReturn: UInt32 = 0x003C_0032
    static let basicGetOk: UInt32 = 0x003C_0047
    static let basicAck: UInt32 = 0x003C_0050
    static let basicNack: UInt32 = 0x003C_0078
}
