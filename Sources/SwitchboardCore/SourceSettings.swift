/// A source's routing settings, as `source.create` and `source.update` take them: nil leaves
/// a setting as it is (or at its default, on create).
public struct SourceSettings: Sendable, Equatable {
    public var offerTimeoutSeconds: Int?
    public var maxWaitSeconds: Int?
    public var overflow: Bool?
    public var stickySeconds: Int?
    public var channel: String?
    public var strategy: Strategy?
    public var requires: [Requirement]?
    public var wrapUpSeconds: Int?
    public var hours: HoursChange?

    public init(offerTimeoutSeconds: Int? = nil, maxWaitSeconds: Int? = nil, overflow: Bool? = nil, stickySeconds: Int? = nil,
                channel: String? = nil, strategy: Strategy? = nil, requires: [Requirement]? = nil, wrapUpSeconds: Int? = nil,
                hours: HoursChange? = nil) {
        self.wrapUpSeconds = wrapUpSeconds
        self.hours = hours
        self.channel = channel
        self.strategy = strategy
        self.requires = requires
        self.offerTimeoutSeconds = offerTimeoutSeconds
        self.maxWaitSeconds = maxWaitSeconds
        self.overflow = overflow
        self.stickySeconds = stickySeconds
    }

    static func read(_ r: inout FieldReader) -> SourceSettings {
        SourceSettings(
            offerTimeoutSeconds: r.integer("offer_timeout_seconds", in: Limits.offerTimeoutSeconds, required: false),
            maxWaitSeconds: r.integer("max_wait_seconds", in: Limits.maxWaitSeconds, required: false),
            overflow: r.bool("overflow"),
            stickySeconds: r.integer("sticky_seconds", in: Limits.stickySeconds, required: false),
            channel: r.identifier("channel", required: false),
            strategy: r.enumeration("strategy", Strategy.self),
            requires: r.requirements("requires"),
            wrapUpSeconds: r.integer("wrap_up_seconds", in: Limits.wrapUpSeconds, required: false),
            hours: r.hours("hours"))
    }

    /// The settings applied over a source's current ones.
    public func applied(to source: Source) -> Source {
        var updated = source
        if let offerTimeoutSeconds { updated.offerTimeoutSeconds = offerTimeoutSeconds }
        if let maxWaitSeconds { updated.maxWaitSeconds = maxWaitSeconds }
        if let overflow { updated.overflow = overflow }
        if let stickySeconds { updated.stickySeconds = stickySeconds }
        if let channel { updated.channel = channel }
        if let strategy { updated.strategy = strategy }
        if let requires { updated.requires = requires }
        if let wrapUpSeconds { updated.wrapUpSeconds = wrapUpSeconds }
        switch hours {
        case .clear?: updated.hours = nil
        case let .set(hours)?: updated.hours = hours
        case nil: break
        }
        return updated
    }
}
