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
    /// The door it came in by.
    public var via: CommandDoor

    public init(id: Int64, at: Timestamp, user: String?, command: String, args: JSONValue, outcome: String, messageId: String?,
                via: CommandDoor = .amqp) {
        self.id = id
        self.at = at
        self.user = user
        self.command = command
        self.args = args
        self.outcome = outcome
        self.messageId = messageId
        self.via = via
    }

    enum CodingKeys: String, CodingKey {
        case id, at, user, command, args, outcome, via
        case messageId = "message_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(Int64.self, forKey: .id), at: try c.decode(Timestamp.self, forKey: .at),
                  user: try c.decodeIfPresent(String.self, forKey: .user), command: try c.decode(String.self, forKey: .command),
                  args: try c.decodeIfPresent(JSONValue.self, forKey: .args) ?? .null, outcome: try c.decode(String.self, forKey: .outcome),
                  messageId: try c.decodeIfPresent(String.self, forKey: .messageId),
                  // Services before the HTTP API name no door: everything came by the control queue.
                  via: try c.decodeIfPresent(CommandDoor.self, forKey: .via) ?? .amqp)
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
        try c.encode(via, forKey: .via)
    }
}

/// How a command reached the writer: the control queue or the HTTP API. The audit trail
/// keeps it, so a change can be traced to the door as well as the user.
public enum CommandDoor: String, Sendable, Codable {
    case amqp, http
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
