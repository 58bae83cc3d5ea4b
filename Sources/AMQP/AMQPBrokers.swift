import CAMQPShims
import CRabbitMQ

/// The nodes of one broker (a cluster, or a single node): one or more URLs, written as a
/// comma-separated list (`amqp://h1:5672,amqp://h2:5672`). A connection goes to one of them
/// and, when it cannot be opened or is refused, to the next.
///
/// Each process tries them in its own order (the list turned by a random offset drawn once
/// per process), so that a fleet of clients spreads over the nodes instead of all starting
/// on the first.
public struct AMQPBrokers: Sendable, Equatable, CustomStringConvertible {
    public let urls: [AMQPURL]

    public init(_ urls: [AMQPURL]) {
        precondition(!urls.isEmpty, "AMQPBrokers needs at least one URL")
        self.urls = urls
    }

    public init(_ url: AMQPURL) { self.init([url]) }

    /// Parses a comma-separated list; a comma inside a URL must be written %2C.
    public init(parsing text: String) throws(AMQPError) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(Self.trimmed)
        guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else {
            throw .invalidURL(AMQPURL.redacting(text), "an empty entry in the list of broker URLs")
        }
        var urls: [AMQPURL] = []
        for part in parts { urls.append(try AMQPURL(parsing: part)) }
        self.init(urls)
    }

    /// Passwords hidden.
    public var description: String { urls.map(\.description).joined(separator: ",") }

    public var unredacted: String { urls.map(\.unredacted).joined(separator: ",") }

    /// The order this process tries the nodes in.
    public var connectionOrder: [AMQPURL] {
        let offset = Self.processOffset % urls.count
        return Array(urls[offset...] + urls[..<offset])
    }

    private static func trimmed(_ part: Substring) -> String {
        var part = part
        while part.first == " " { part.removeFirst() }
        while part.last == " " { part.removeLast() }
        return String(part)
    }

    private static let processOffset = Int.random(in: 0..<720_720)  // divisible by 1 to 16
}

extension AMQPConnection {
    /// Opens a connection to the first node, in this process's order, that takes it; throws
    /// the last node's error when none does. `connection.url` says which node it is.
    public static func open(to brokers: AMQPBrokers, options: Options = Options()) throws(AMQPError) -> AMQPConnection {
        try open(trying: brokers.connectionOrder, options: options)
    }

    static func open(trying urls: [AMQPURL], options: Options) throws(AMQPError) -> AMQPConnection {
        var lastError = AMQPError.closed
        for url in urls {
            do {
                return try AMQPConnection(url: url, options: options)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }
}
