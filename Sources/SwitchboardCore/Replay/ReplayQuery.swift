/// `replay.run`'s arguments: the window, the changes (read against the recorded floor when
/// the replay starts) and the seed of its draws.
public struct ReplayQuery: Sendable, Equatable {
    public var since: Timestamp
    public var until: Timestamp
    public var changes: JSONValue
    /// nil: the service's own seed (SWITCHBOARD_RANDOM_SEED), else ``defaultSeed``.
    public var seed: UInt64?

    /// The longest window replayed at once: a month of a busy floor fits the replay's memory.
    public static let longestWindowMilliseconds: Int64 = 31 * 86_400_000
    public static let defaultSeed: UInt64 = 1

    public init(since: Timestamp, until: Timestamp, changes: JSONValue = .object([:]), seed: UInt64? = nil) {
        self.since = since
        self.until = until
        self.changes = changes
        self.seed = seed
    }

    static func read(_ r: inout FieldReader) -> ReplayQuery? {
        let since = r.timestamp("since"), until = r.timestamp("until")
        if let since, let until {
            if until <= since {
                r.problem("until", "must be after since (\(since))")
            } else if until.milliseconds - since.milliseconds > longestWindowMilliseconds {
                r.problem("until", "must be at most 31 days after since; replay a longer time a month at a time")
            }
        }
        let changes = r.object("changes").map(JSONValue.object) ?? .object([:])
        let seed = r.integer("seed", in: 0...Int.max, required: false).map(UInt64.init)
        guard let since, let until else { return nil }
        return ReplayQuery(since: since, until: until, changes: changes, seed: seed)
    }
}
