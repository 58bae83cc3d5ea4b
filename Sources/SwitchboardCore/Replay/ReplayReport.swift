/// `replay.run`'s result: the window, and the same measures for the floor as it was and with
/// the changes, each from the same routing on a simulated clock.
public struct ReplayReport: Sendable, Equatable, Codable {
    public var since: Timestamp
    public var until: Timestamp
    public var seed: UInt64
    /// Requests that arrived in the window, replayed in both runs.
    public var requests: Int
    public var asItWas: ReplayOutcome
    public var withChanges: ReplayOutcome

    public init(since: Timestamp, until: Timestamp, seed: UInt64, requests: Int, asItWas: ReplayOutcome, withChanges: ReplayOutcome) {
        self.since = since
        self.until = until
        self.seed = seed
        self.requests = requests
        self.asItWas = asItWas
        self.withChanges = withChanges
    }

    enum CodingKeys: String, CodingKey {
        case since, until, seed, requests, asItWas = "as_it_was", withChanges = "with_changes"
    }
}

/// One run of a replay.
public struct ReplayOutcome: Sendable, Equatable, Codable {
    /// The most requests waiting in one minute.
    public struct WaitingPoint: Sendable, Equatable, Codable {
        public var at: Timestamp
        public var waiting: Int
        public init(at: Timestamp, waiting: Int) {
            self.at = at
            self.waiting = waiting
        }
    }

    /// The share of an operator's capacity its requests took over the window: the time it
    /// held requests, summed, over the window's length times its limit.
    public struct Utilisation: Sendable, Equatable, Codable {
        public var operatorId: Int64
        public var name: String
        public var share: Double
        public init(operatorId: Int64, name: String, share: Double) {
            self.operatorId = operatorId
            self.name = name
            self.share = share
        }

        enum CodingKeys: String, CodingKey { case operatorId = "operator_id", name, share }
    }

    /// `stats.service_level` over the window: overall, by source and by operator.
    public var serviceLevel: ServiceLevel
    public var escalations: Int
    public var relaxations: Int
    /// Still waiting when the window ended.
    public var stillWaiting: Int
    public var waitingLine: [WaitingPoint]
    public var utilisation: [Utilisation]

    public init(serviceLevel: ServiceLevel, escalations: Int, relaxations: Int, stillWaiting: Int, waitingLine: [WaitingPoint],
                utilisation: [Utilisation]) {
        self.serviceLevel = serviceLevel
        self.escalations = escalations
        self.relaxations = relaxations
        self.stillWaiting = stillWaiting
        self.waitingLine = waitingLine
        self.utilisation = utilisation
    }

    enum CodingKeys: String, CodingKey {
        case serviceLevel = "service_level", escalations, relaxations, stillWaiting = "still_waiting", waitingLine = "waiting_line"
        case utilisation
    }
}
