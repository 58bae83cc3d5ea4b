/// The source shape: where requests come from, and how they are routed.

public struct Source: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    public var identifier: String
    public var createdAt: Timestamp
    public var weights: [Weight]
    /// 0: a pick assigns at once; otherwise it offers, for this long.
    public var offerTimeoutSeconds: Int
    /// 0: never escalated; otherwise a request waiting longer than this is escalated once.
    public var maxWaitSeconds: Int
    /// Whether an escalated request may go to operators without a weight for the source.
    public var overflow: Bool
    /// 0: off; otherwise a returning user's request goes to the operator who had their last
    /// one within this long, when that operator is eligible.
    public var stickySeconds: Int
    /// The kind of work its requests are (chat, email, voice): capacity is counted per channel.
    public var channel: String
    public var strategy: Strategy
    /// What its requests need when intake names nothing.
    public var requires: [Requirement]
    /// How long an operator's slot stays taken after closing one of its requests (0: none).
    public var wrapUpSeconds: Int
    /// When it is staffed; nil: always open. Requests arriving outside them wait for the opening.
    public var hours: WorkingHours?
    /// Whether it is open when the shape was read, and when that changes next (nil: never).
    public var openNow: Bool
    public var nextChangeAt: Timestamp?

    public init(id: Int64, name: String, identifier: String, createdAt: Timestamp, weights: [Weight], offerTimeoutSeconds: Int = 0,
                maxWaitSeconds: Int = 0, overflow: Bool = false, stickySeconds: Int = 0, channel: String = defaultChannel,
                strategy: Strategy = .weighted, requires: [Requirement] = [], wrapUpSeconds: Int = 0, hours: WorkingHours? = nil,
                openNow: Bool = true, nextChangeAt: Timestamp? = nil) {
        self.wrapUpSeconds = wrapUpSeconds
        self.hours = hours
        self.openNow = openNow
        self.nextChangeAt = nextChangeAt
        self.channel = channel
        self.strategy = strategy
        self.requires = requires
        self.id = id
        self.name = name
        self.identifier = identifier
        self.createdAt = createdAt
        self.weights = weights
        self.offerTimeoutSeconds = offerTimeoutSeconds
        self.maxWaitSeconds = maxWaitSeconds
        self.overflow = overflow
        self.stickySeconds = stickySeconds
    }

    enum CodingKeys: String, CodingKey {
        case id, name, identifier, createdAt = "created_at", weights, offerTimeoutSeconds = "offer_timeout_seconds"
        case maxWaitSeconds = "max_wait_seconds", overflow, stickySeconds = "sticky_seconds", channel, strategy, requires
        case wrapUpSeconds = "wrap_up_seconds", hours, openNow = "open_now", nextChangeAt = "next_change_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(Int64.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
            identifier: try c.decode(String.self, forKey: .identifier), createdAt: try c.decode(Timestamp.self, forKey: .createdAt),
            weights: try c.decode([Weight].self, forKey: .weights),
            offerTimeoutSeconds: try c.decodeIfPresent(Int.self, forKey: .offerTimeoutSeconds) ?? 0,
            maxWaitSeconds: try c.decodeIfPresent(Int.self, forKey: .maxWaitSeconds) ?? 0,
            overflow: try c.decodeIfPresent(Bool.self, forKey: .overflow) ?? false,
            stickySeconds: try c.decodeIfPresent(Int.self, forKey: .stickySeconds) ?? 0,
            channel: try c.decodeIfPresent(String.self, forKey: .channel) ?? defaultChannel,
            strategy: try c.decodeIfPresent(Strategy.self, forKey: .strategy) ?? .weighted,
            requires: try c.decodeIfPresent([Requirement].self, forKey: .requires) ?? [],
            wrapUpSeconds: try c.decodeIfPresent(Int.self, forKey: .wrapUpSeconds) ?? 0,
            hours: try c.decodeIfPresent(WorkingHours.self, forKey: .hours),
            openNow: try c.decodeIfPresent(Bool.self, forKey: .openNow) ?? true,
            nextChangeAt: try c.decodeIfPresent(Timestamp.self, forKey: .nextChangeAt))
    }

    /// As decoded, with `hours` and `next_change_at` null rather than absent: the contract's
    /// "null: always open".
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(identifier, forKey: .identifier)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(weights, forKey: .weights)
        try c.encode(offerTimeoutSeconds, forKey: .offerTimeoutSeconds)
        try c.encode(maxWaitSeconds, forKey: .maxWaitSeconds)
        try c.encode(overflow, forKey: .overflow)
        try c.encode(stickySeconds, forKey: .stickySeconds)
        try c.encode(channel, forKey: .channel)
        try c.encode(strategy, forKey: .strategy)
        try c.encode(requires, forKey: .requires)
        try c.encode(wrapUpSeconds, forKey: .wrapUpSeconds)
        try c.encode(hours, forKey: .hours)
        try c.encode(openNow, forKey: .openNow)
        try c.encode(nextChangeAt, forKey: .nextChangeAt)
    }
}
