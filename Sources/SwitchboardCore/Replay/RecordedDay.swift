/// What the what-if replay reads of a window: the floor as it stands now, who was present
/// when, how each operator answered offers, and every request that arrived in it.
public struct RecordedDay: Sendable, Equatable {
    /// One request as it arrived, and what the replay keeps of its life.
    public struct Arrival: Sendable, Equatable {
        public var requestId: Int64
        public var sourceId: Int64
        public var userId: Int64
        public var priority: Int
        /// Its own requirements; nil when they were its source's (so a change of the
        /// source's requirements reaches it in the replay).
        public var requires: [Requirement]?
        public var at: Timestamp
        /// From its first assignment to its close, whoever handles it in the replay; nil
        /// while it was still open at the window's end (censored there) or never assigned.
        public var handleMilliseconds: Int64?
        /// When it was closed without ever being assigned (the customer gave up): it leaves
        /// the replay then too, assigned or not.
        public var abandonedAt: Timestamp?
        /// Who had it at the end, as recorded; nil: nobody.
        public var operatorId: Int64?
        public var firstAssignedAt: Timestamp?

        public init(requestId: Int64, sourceId: Int64, userId: Int64, priority: Int, requires: [Requirement]?, at: Timestamp,
                    handleMilliseconds: Int64?, abandonedAt: Timestamp?, operatorId: Int64?, firstAssignedAt: Timestamp?) {
            self.requestId = requestId
            self.sourceId = sourceId
            self.userId = userId
            self.priority = priority
            self.requires = requires
            self.at = at
            self.handleMilliseconds = handleMilliseconds
            self.abandonedAt = abandonedAt
            self.operatorId = operatorId
            self.firstAssignedAt = firstAssignedAt
        }
    }

    /// A transfer as recorded (a `request.transfer` that succeeded, from the audit trail).
    public struct Transfer: Sendable, Equatable {
        public var requestId: Int64
        /// From the request's first assignment: the replay transfers it as long after its
        /// first assignment there.
        public var afterAssignmentMilliseconds: Int64
        public var to: TransferTarget
        public var reason: String?

        public init(requestId: Int64, afterAssignmentMilliseconds: Int64, to: TransferTarget, reason: String?) {
            self.requestId = requestId
            self.afterAssignmentMilliseconds = afterAssignmentMilliseconds
            self.to = to
            self.reason = reason
        }
    }

    public var since: Timestamp
    public var until: Timestamp
    /// Settings as they stand (limits, skills, capacities, weights, hours): the replay's
    /// "as it was" floor, which the changes then edit.
    public var operators: [Operator]
    public var sources: [Source]
    /// Oldest first.
    public var arrivals: [Arrival]
    /// Each operator's presence at `since`; an operator absent here was not there yet.
    public var presenceAtStart: [Int64: Presence]
    /// In the window, oldest first.
    public var presenceChanges: [PresenceChange]
    /// How each operator answered the offers it got in the window.
    public var offerAnswers: [Int64: OfferAnswers]
    /// Oldest first.
    public var transfers: [Transfer]

    public init(since: Timestamp, until: Timestamp, operators: [Operator], sources: [Source], arrivals: [Arrival],
                presenceAtStart: [Int64: Presence], presenceChanges: [PresenceChange], offerAnswers: [Int64: OfferAnswers],
                transfers: [Transfer] = []) {
        self.since = since
        self.until = until
        self.operators = operators
        self.sources = sources
        self.arrivals = arrivals
        self.presenceAtStart = presenceAtStart
        self.presenceChanges = presenceChanges
        self.offerAnswers = offerAnswers
        self.transfers = transfers
    }

    /// Presence at the window's start from the record: the presence before an operator's
    /// first change at or after `since` (none for one created later: not there yet), else,
    /// with no change since, the presence it has now.
    public static func presenceAtStart(operators: [Operator], firstChangeSince: [Int64: PresenceChange]) -> [Int64: Presence] {
        var presence: [Int64: Presence] = [:]
        for op in operators {
            guard let first = firstChangeSince[op.id] else {
                presence[op.id] = op.presence
                continue
            }
            if let previous = first.previous { presence[op.id] = previous }
        }
        return presence
    }
}
