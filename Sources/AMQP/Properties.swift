import CAMQPShims
import CRabbitMQ

/// The basic-class properties of a message: what a publisher sets and a consumer reads.
public struct AMQPProperties: Sendable, Equatable {
    public var contentType: String?
    public var contentEncoding: String?
    public var headers: AMQPTable?
    /// Persistent messages (delivery mode 2) survive a broker restart in durable queues.
    public var persistent: Bool
    public var priority: UInt8?
    public var correlationId: String?
    public var replyTo: String?
    public var expiration: String?
    public var messageId: String?
    public var timestamp: UInt64?
    public var type: String?
    public var userId: String?
    public var appId: String?

    public init(
        contentType: String? = nil, contentEncoding: String? = nil, headers: AMQPTable? = nil,
        persistent: Bool = false, priority: UInt8? = nil, correlationId: String? = nil,
        replyTo: String? = nil, expiration: String? = nil, messageId: String? = nil,
        timestamp: UInt64? = nil, type: String? = nil, userId: String? = nil, appId: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.persistent = persistent
        self.priority = priority
        self.correlationId = correlationId
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageId = messageId
        self.timestamp = timestamp
        self.type = type
        self.userId = userId
        self.appId = appId
    }
}

// The flag bits of amqp_framing.h; Swift does not import its casted macros.
private enum Flag {
    static let contentType: UInt32 = 1 << 15
    static let contentEncoding: UInt32 = 1 << 14
    static let headers: UInt32 = 1 << 13
    static let deliveryMode: UInt32 = 1 << 12
    static let priority: UInt32 = 1 << 11
    static let correlationId: UInt32 = 1 << 10
    static let replyTo: UInt32 = 1 << 9
    static let expiration: UInt32 = 1 << 8
    static let messageId: UInt32 = 1 << 7
    static let timestamp: UInt32 = 1 << 6
    static let type: UInt32 = 1 << 5
    static let userId: UInt32 = 1 << 4
    static let appId: UInt32 = 1 << 3
}

extension AMQPProperties {
    init(_ c: amqp_basic_properties_t) {
        func text(_ flag: UInt32, _ bytes: amqp_bytes_t) -> String? {
            c._flags & flag != 0 ? bytes.string : nil
        }
        self.init(
            contentType: text(Flag.contentType, c.content_type),
            contentEncoding: text(Flag.contentEncoding, c.content_encoding),
            headers: c._flags & Flag.headers != 0 ? c.headers.swiftTable : nil,
            persistent: c._flags & Flag.deliveryMode != 0 && c.delivery_mode == 2,
            priority: c._flags & Flag.priority != 0 ? c.priority : nil,
            correlationId: text(Flag.correlationId, c.correlation_id),
            replyTo: text(Flag.replyTo, c.reply_to),
            expiration: text(Flag.expiration, c.expiration),
            messageId: text(Flag.messageId, c.message_id),
            timestamp: c._flags & Flag.timestamp != 0 ? c.timestamp : nil,
            type: text(Flag.type, c.type),
            userId: text(Flag.userId, c.user_id),
            appId: text(Flag.appId, c.app_id)
        )
    }

    func cProperties(in arena: CArena) -> amqp_basic_properties_t {
        var c = amqp_basic_properties_t()
        func set(_ value: String?, _ flag: UInt32, _ field: WritableKeyPath<amqp_basic_properties_t, amqp_bytes_t>) {
            guard let value else { return }
            c._flags |= flag
            c[keyPath: field] = arena.bytes(value)
        }
        set(contentType, Flag.contentType, \.content_type)
        set(contentEncoding, Flag.contentEncoding, \.content_encoding)
        set(correlationId, Flag.correlationId, \.correlation_id)
        set(replyTo, Flag.replyTo, \.reply_to)
        set(expiration, Flag.expiration, \.expiration)
        set(messageId, Flag.messageId, \.message_id)
        set(type, Flag.type, \.type)
        set(userId, Flag.userId, \.user_id)
        set(appId, Flag.appId, \.app_id)
        if let headers {
            c._flags |= Flag.headers
            c.headers = arena.table(headers)
        }
        c._flags |= Flag.deliveryMode
        c.delivery_mode = persistent ? 2 : 1
        if let priority {
            c._flags |= Flag.priority
            c.priority = priority
        }
        if let timestamp {
            c._flags |= Flag.timestamp
            c.timestamp = timestamp
        }
        return c
    }
}

/// A message the broker delivered to one of our consumers. Its bytes are copied out of
/// rabbitmq-c's buffers, so it outlives the frame it came in.
public struct AMQPDelivery: Sendable {
    public var channel: UInt16
    public var deliveryTag: UInt64
    public var consumerTag: String
    public var exchange: String
    public var routingKey: String
    public var redelivered: Bool
    public var properties: AMQPProperties
    public var body: [UInt8]

    public init(
        channel: UInt16, deliveryTag: UInt64, consumerTag: String, exchange: String, routingKey: String,
        redelivered: Bool, properties: AMQPProperties, body: [UInt8]
    ) {
        self.channel = channel
        self.deliveryTag = deliveryTag
        self.consumerTag = consumerTag
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.properties = properties
        self.body = body
    }
}
