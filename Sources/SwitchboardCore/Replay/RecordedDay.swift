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
    /// Settings (limits, skills, capacities, weights, hours) as they stood at `since`: the
    /// replay's "as it was" floor, which the changes then edit. Presence is as it is now.
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
    /// Changes of settings in the window, oldest first; `operators` and `sources` are as
    /// they stood at its start.
    public var settingChanges: [SettingChange]

    public init(since: Timestamp, until: Timestamp, operators: [Operator], sources: [Source], arrivals: [Arrival],
                presenceAtStart: [Int64: Presence], presenceChanges: [PresenceChange], offerAnswers: [Int64: OfferAnswers],
                transfers: [Transfer] = [], settingChanges: [SettingChange] = []) {
        self.since = since
        self.until = until
        self.operators = operators
        self.sources = sources
        self.arrivals = arrivals
        self.presenceAtStart = presenceAtStart
        self.presenceChanges = presenceChanges
        self.offerAnswers = offerAnswers
        self.transfers = transfers
        self.settingChanges = settingChanges
    }

    /// The floor as it stood at `since`: each operator and source its first change from then
    /// on found it (presence left as it is, which the presence record tells), and the
    /// changes in the window.
    public static func settingsAtStart(operators: [Operator], sources: [Source], changesSince: [SettingChange], until: Timestamp)
        -> (operators: [Operator], sources: [Source], inWindow: [SettingChange]) {
        var operatorsThen: [Int64: Operator] = [:], sourcesThen: [Int64: Source] = [:]
        for change in changesSince {
            switch change.subject {
            case let .operator(before, _): if operatorsThen[before.id] == nil { operatorsThen[before.id] = before }
            case let .source(before, _): if sourcesThen[before.id] == nil { sourcesThen[before.id] = before }
            }
        }
        let atStart = operators.map { now -> Operator in
            guard var then = operatorsThen[now.id] else { return now }
            then.presence = now.presence
            return then
        }
        return (atStart, sources.map { sourcesThen[$0.id] ?? $0 }, changesSince.filter { $0.at < until })
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
