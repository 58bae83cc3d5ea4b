/// One line of the audit trail: a command that changed state, failed to, or was refused.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: Timestamp
    /// The broker user that sent it (its AMQP `user_id`); nil when it named none.
    public var user: String?
    public var command: String
    /// The arguments as sent (null when the message had none).
    public var args: JSONValue
    /// `ok`, or the error code it was answered with.
    public var outcome: String
    public var messageId: String?

    public init(id: Int64, at: Timestamp, user: String?, command: String, args: JSONValue, outcome: String, messageId: String?) {
        self.id = id
        self.at = at
        self.user = user
        self.command = command
        self.args = args
        self.outcome = outcome
        self.messageId = messageId
    }

    enum CodingKeys: String, CodingKey {
        case id, at, user, command, args, outcome
        case messageId = "message_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(at, forKey: .at)
        try c.encode(user, forKey: .user)
        try c.encode(command, forKey: .command)
        try c.encode(args, forKey: .args)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(messageId, forKey: .messageId)
    }
}

/// `audit.list`'s arguments: newest last, paged by id like `request.list`.
public struct AuditFilter: Sendable, Equatable {
    public var afterId: Int64?
    public var limit: Int
    public var user: String?
    public var command: String?

    public init(afterId: Int64? = nil, limit: Int = Limits.defaultListLimit, user: String? = nil, command: String? = nil) {
        self.afterId = afterId
        self.limit = limit
        self.user = user
        self.command = command
    }
}
