import SwitchboardCore
import SwitchboardStore

/// What a replay measures from the events its scratch store writes, as a console would see
/// them: the waiting line over time, how long each operator held requests, escalations and
/// relaxations. The service level itself is the store's own `stats.service_level`.
struct ReplayMeasures {
    /// What the driver must act on in an event.
    enum Noted: Equatable {
        /// Assigned for the first time: its handle time starts.
        case firstAssigned(request: Int64)
        case offered(request: Int64, operator: Int64)
    }

    private var waiting: Set<Int64> = []
    private var assignedOnce = ByRequestId(none: false)
    /// Who holds each assigned request, since when (simulated ms).
    private var holders: [Int64: (operatorId: Int64, since: Int64)] = [:]
    private(set) var heldMilliseconds: [Int64: Int64] = [:]
    /// The last operator each request was assigned to (scratch ids; 0: none).
    private(set) var lastAssignee = ByRequestId<Int64>(none: 0)
    /// The most requests waiting in each minute with an event, and how many at its end, by
    /// the minute's start.
    private(set) var waitingByMinute: [Int64: (most: Int, last: Int)] = [:]
    private(set) var escalations = 0
    private(set) var relaxations = 0

    var stillWaiting: Int { waiting.count }

    mutating func note(_ event: OutboxEvent, at now: Int64) -> Noted? {
        guard let kind = EventName(rawValue: event.routingKey), kind != .operatorPresenceChanged,
              case let .object(body)? = try? JSONParser.parse(event.body), case let .object(request)? = body["request"],
              case let .integer(id)? = request["id"], case let .string(status)? = request["status"]
        else { return nil }
        let operatorId: Int64? = if case let .integer(op)? = request["operator_id"] { op } else { nil }
        switch kind {
        case .requestEscalated: escalations += 1
        case .requestRelaxed: relaxations += 1
        default: break
        }
        if status == RequestStatus.waiting.rawValue { waiting.insert(id) } else { waiting.remove(id) }
        hold(id, by: status == RequestStatus.assigned.rawValue ? operatorId : nil, at: now)
        if status == RequestStatus.assigned.rawValue, let operatorId { lastAssignee[id] = operatorId }
        let minute = now - now % 60_000
        waitingByMinute[minute] = (max(waitingByMinute[minute]?.most ?? 0, waiting.count), waiting.count)
        if kind == .requestAssigned, !assignedOnce[id] {
            assignedOnce[id] = true
            return .firstAssigned(request: id)
        }
        if kind == .requestOffered, let operatorId { return .offered(request: id, operator: operatorId) }
        return nil
    }

    /// The most waiting in each minute of the window, a minute without events keeping the
    /// count the one before ended with.
    func waitingLine(since: Int64, until: Int64) -> [ReplayOutcome.WaitingPoint] {
        var points: [ReplayOutcome.WaitingPoint] = []
        var carried = 0
        var minute = since - since % 60_000
        while minute < until {
            let seen = waitingByMinute[minute]
            points.append(ReplayOutcome.WaitingPoint(at: Timestamp(milliseconds: minute), waiting: seen?.most ?? carried))
            carried = seen?.last ?? carried
            minute += 60_000
        }
        return points
    }

    /// Ends every hold at the window's end.
    mutating func finish(at until: Int64) {
        for id in holders.keys { hold(id, by: nil, at: until) }
    }

    private mutating func hold(_ request: Int64, by operatorId: Int64?, at now: Int64) {
        if let current = holders[request] {
            guard current.operatorId != operatorId else { return }
            heldMilliseconds[current.operatorId, default: 0] += max(0, now - current.since)
            holders[request] = nil
        }
        if let operatorId { holders[request] = (operatorId, now) }
    }
}
