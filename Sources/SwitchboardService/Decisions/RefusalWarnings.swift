/// The warning about events the broker refused: at most one a minute, however many there
/// are, naming how many were refused under each routing key since the last one. A value
/// with a given clock.
struct RefusalWarnings {
    static let interval = Duration.seconds(60)
    private var unlogged: [String: Int] = [:]
    private var loggedAt: ContinuousClock.Instant?

    /// What to warn of, by routing key and in key order, when `routingKeys` were refused at
    /// `now`; nil while the last warning is less than a minute old (they are kept for the next).
    mutating func refused(_ routingKeys: [String], at now: ContinuousClock.Instant) -> [(routingKey: String, count: Int)]? {
        for key in routingKeys { unlogged[key, default: 0] += 1 }
        guard !unlogged.isEmpty else { return nil }
        if let last = loggedAt, now - last < Self.interval { return nil }
        defer {
            unlogged = [:]
            loggedAt = now
        }
        return unlogged.sorted { $0.key < $1.key }.map { (routingKey: $0.key, count: $0.value) }
    }
}
