/// `stats.service_level`'s result (../shared/CONTRACT.md, "Service level"): how long
/// requests created in a window waited for an operator and were handled, overall, per
/// source and per operator, and the waiting line as it stands.
public struct ServiceLevel: Sendable, Equatable, Codable {
    public struct Window: Sendable, Equatable, Codable {
        public var since: Timestamp
        public var until: Timestamp
        public init(since: Timestamp, until: Timestamp) {
            self.since = since
            self.until = until
        }
    }

    /// Seconds, to the millisecond; null when nothing was measured.
    public struct TimeToAssign: Sendable, Equatable, Codable {
        public var mean: Double?
        public var p50: Double?
        public var p90: Double?
        public var p99: Double?
        public var max: Double?

        enum CodingKeys: String, CodingKey { case mean, p50, p90, p99, max }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(mean, forKey: .mean)
            try c.encode(p50, forKey: .p50)
            try c.encode(p90, forKey: .p90)
            try c.encode(p99, forKey: .p99)
            try c.encode(max, forKey: .max)
        }
    }

    public struct HandleTime: Sendable, Equatable, Codable {
        public var p50: Double?
        public var p90: Double?
        public var max: Double?

        enum CodingKeys: String, CodingKey { case p50, p90, max }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(p50, forKey: .p50)
            try c.encode(p90, forKey: .p90)
            try c.encode(max, forKey: .max)
        }
    }

    /// The share of the row's requests assigned within the threshold; null with no requests.
    public struct Within: Sendable, Equatable, Codable {
        public var thresholdSeconds: Int
        public var share: Double?

        enum CodingKeys: String, CodingKey { case thresholdSeconds = "threshold_seconds", share }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(thresholdSeconds, forKey: .thresholdSeconds)
            try c.encode(share, forKey: .share)
        }
    }

    public struct Offers: Sendable, Equatable, Codable {
        public var made = 0
        public var accepted = 0
        public var declined = 0
        public init(made: Int = 0, accepted: Int = 0, declined: Int = 0) {
            self.made = made
            self.accepted = accepted
            self.declined = declined
        }
    }

    public struct Row: Sendable, Equatable, Codable {
        /// Set on `by_source` rows.
        public var sourceId: Int64?
        /// Set on `by_operator` rows.
        public var operatorId: Int64?
        public var requests: Int
        /// Requests that got an operator (and kept it, or were closed by it).
        public var assigned: Int
        public var closed: Int
        public var timeToAssignSeconds: TimeToAssign
        public var within: [Within]
        public var handleSeconds: HandleTime
        public var offers: Offers

        enum CodingKeys: String, CodingKey {
            case sourceId = "source_id", operatorId = "operator_id", requests, assigned, closed
            case timeToAssignSeconds = "time_to_assign_seconds", within, handleSeconds = "handle_seconds", offers
        }
    }

    public struct Oldest: Sendable, Equatable, Codable {
        public var id: Int64
        public var sourceId: Int64
        public var priority: Int
        public var ageSeconds: Double
        public init(id: Int64, sourceId: Int64, priority: Int, ageSeconds: Double) {
            self.id = id
            self.sourceId = sourceId
            self.priority = priority
            self.ageSeconds = ageSeconds
        }
        enum CodingKeys: String, CodingKey { case id, sourceId = "source_id", priority, ageSeconds = "age_seconds" }
    }

    public struct Waiting: Sendable, Equatable, Codable {
        public var count: Int
        public var oldest: Oldest?
        public init(count: Int, oldest: Oldest?) {
            self.count = count
            self.oldest = oldest
        }
        enum CodingKeys: String, CodingKey { case count, oldest }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(count, forKey: .count)
            try c.encode(oldest, forKey: .oldest)
        }
    }

    public var window: Window
    public var overall: Row
    public var bySource: [Row]
    public var byOperator: [Row]
    public var waiting: Waiting

    public init(window: Window, overall: Row, bySource: [Row], byOperator: [Row], waiting: Waiting) {
        self.window = window
        self.overall = overall
        self.bySource = bySource
        self.byOperator = byOperator
        self.waiting = waiting
    }

    enum CodingKeys: String, CodingKey {
        case window, overall, bySource = "by_source", byOperator = "by_operator", waiting
    }
}

/// Sums one group of requests (all of them, a source's, an operator's) into a row. Times
/// are kept as milliseconds until the row is made: sorting ten thousand of them is well
/// under a millisecond.
public struct ServiceLevelTally: Sendable {
    public private(set) var requests = 0
    public private(set) var closed = 0
    private var waits: [Int64] = []
    private var handles: [Int64] = []
    public var offers = ServiceLevel.Offers()

    public init() {}

    /// One request created in the window: `assignedAt` and `closedAt` as stored.
    public mutating func add(createdAt: Int64, assignedAt: Int64?, closedAt: Int64?, isClosed: Bool) {
        requests += 1
        if isClosed { closed += 1 }
        guard let assignedAt else { return }
        waits.append(max(0, assignedAt - createdAt))
        if let closedAt { handles.append(max(0, closedAt - assignedAt)) }
    }

    public mutating func addOffer(outcome: String?) {
        offers.made += 1
        switch outcome {
        case "accepted"?: offers.accepted += 1
        case "rejected"?, "expired"?, "withdrawn"?: offers.declined += 1
        default: break
        }
    }

    public func row(thresholdsSeconds: [Int], sourceId: Int64? = nil, operatorId: Int64? = nil) -> ServiceLevel.Row {
        let waits = waits.sorted()
        let handles = handles.sorted()
        let mean = waits.isEmpty ? nil : Self.seconds(Int64((Double(waits.reduce(0, +)) / Double(waits.count)).rounded()))
        return ServiceLevel.Row(
            sourceId: sourceId, operatorId: operatorId, requests: requests, assigned: waits.count, closed: closed,
            timeToAssignSeconds: .init(mean: mean, p50: Self.percentile(50, of: waits), p90: Self.percentile(90, of: waits),
                                       p99: Self.percentile(99, of: waits), max: waits.last.map(Self.seconds)),
            within: thresholdsSeconds.map { threshold in
                let limit = Int64(threshold) * 1000
                // Requests not assigned yet count against the share: they have not been served.
                let served = Self.count(of: waits, atMost: limit)
                return .init(thresholdSeconds: threshold, share: requests == 0 ? nil : Self.rounded(Double(served) / Double(requests)))
            },
            handleSeconds: .init(p50: Self.percentile(50, of: handles), p90: Self.percentile(90, of: handles),
                                 max: handles.last.map(Self.seconds)),
            offers: offers)
    }

    /// The nearest-rank percentile of sorted milliseconds, in seconds: the smallest value
    /// with at least p% of them at or below it.
    static func percentile(_ p: Int, of sorted: [Int64]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = (p * sorted.count + 99) / 100
        return seconds(sorted[max(0, rank - 1)])
    }

    /// How many sorted values are at most `limit`, by binary search.
    static func count(of sorted: [Int64], atMost limit: Int64) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] <= limit { low = middle + 1 } else { high = middle }
        }
        return low
    }

    static func seconds(_ milliseconds: Int64) -> Double { Double(milliseconds) / 1000 }

    static func rounded(_ share: Double) -> Double { (share * 10_000).rounded() / 10_000 }
}
