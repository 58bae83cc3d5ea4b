/// Everything that can go wrong talking to the broker, each case saying what failed in words
/// an operator can act on (`channel closed by broker: 404 NOT_FOUND - no exchange 'x'`).
public enum AMQPError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String, String)
    /// The TCP or TLS socket could not be opened or failed while in use.
    case socket(operation: String, detail: String)
    /// The broker refused the login (wrong user or password, missing vhost).
    case loginRefused(url: String, detail: String)
    /// The broker closed a channel; the connection may still be usable.
    case channelClosed(code: Int, text: String, operation: String)
    /// The broker closed the whole connection.
    case connectionClosed(code: Int, text: String)
    /// A rabbitmq-c call failed locally (timeout, bad frame, closed socket...).
    case library(operation: String, status: Int32, detail: String)
    /// A publish was nacked by the broker (it could not take responsibility for it).
    case nacked(count: Int)
    /// A mandatory publish found no queue.
    case returned(code: Int, text: String, exchange: String, routingKey: String)
    /// The broker cancelled our consumer (its queue was deleted, or the node went down).
    case consumerCancelled(tag: String)
    /// Confirms did not arrive in time.
    case timeout(operation: String)
    /// The connection was already closed when it was used.
    case closed
    /// A call this library cannot make as asked (waiting for confirms on a channel not in
    /// confirm mode): a mistake in the calling code, not a broker failure, so reconnecting
    /// would not help.
    case usage(String)

    public var description: String {
        switch self {
        case let .invalidURL(url, why): "invalid AMQP URL \(url): \(why)"
        case let .socket(operation, detail): "socket error while \(operation): \(detail)"
        case let .loginRefused(url, detail): "login refused by \(url): \(detail)"
        case let .channelClosed(code, text, operation): "channel closed by broker during \(operation): \(code) \(text)"
        case let .connectionClosed(code, text): "connection closed by broker: \(code) \(text)"
        case let .library(operation, status, detail): "\(operation) failed: \(detail) (status \(status))"
        case let .nacked(count): "broker nacked \(count) published message(s)"
        case let .returned(code, text, exchange, routingKey):
            "message returned by broker: \(code) \(text) (exchange '\(exchange)', routing key '\(routingKey)')"
        case let .consumerCancelled(tag): "consumer \(tag) was cancelled by the broker"
        case let .timeout(operation): "timed out waiting for \(operation)"
        case .closed: "connection is closed"
        case let .usage(what): "misuse of the AMQP connection: \(what)"
        }
    }

    /// Whether the connection that raised this error can no longer be used and must be
    /// replaced (as opposed to a failure of one operation on a live connection).
    public var isConnectionFatal: Bool {
        switch self {
        case .socket, .connectionClosed, .library, .closed, .loginRefused, .timeout: true
        case .channelClosed, .nacked, .returned, .consumerCancelled, .invalidURL, .usage: false
        }
    }
}
