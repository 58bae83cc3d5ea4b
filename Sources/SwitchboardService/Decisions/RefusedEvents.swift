import SwitchboardStore

/// Events the broker refused (nacked: a subscriber's queue full with `reject-publish`). Each is
/// published again after a growing pause, a bounded number of times, then set aside: kept in
/// the database, counted, never again in the way. No subscriber can hold routing up.
///
/// Outbox rows are settled (deleted) once every event in them is confirmed or set aside;
/// until then a crash only means they are published again on start.
struct RefusedEvents {
    /// Pauses before each new attempt; after the last, the event is set aside (17.6 s in all).
    /// Long enough to outlast a quorum queue's leader election when a cluster node fails: a
    /// subscriber's queue nacks while it has no leader, and with 2.6 s in all every event of
    /// a backlog processed in that time was set aside (ClusterTests, under load).
    static let retryDelays: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(2), .seconds(5), .seconds(10)]
    /// Refused events held for another attempt at most; past it, a newly refused one is set
    /// aside at once. A queue refusing at full rate must not make the writer hold 17.6 s of
    /// events in memory (about 30 MB at this bound).
    static let holdLimit = 50_000

    struct Entry {
        var event: OutboxEvent
        var retries: Int
        var due: ContinuousClock.Instant
    }

    private var waiting: [Entry] = []
    /// Set aside at once, the hold being full: the writer counts and logs them.
    var heldOver: [OutboxEvent] = []
    /// Outbox row → how many of its events are still refused.
    private var unsettled: [Int64: Int] = [:]
    /// What to write with the next transaction.
    var settlement = OutboxSettlement()

    var nextDue: ContinuousClock.Instant? { waiting.lazy.map(\.due).min() }

    /// Records a first publication of `events`, of which those at `refused` positions were nacked.
    mutating func published(_ events: [OutboxEvent], refused: Set<Int>, now: ContinuousClock.Instant) {
        for position in refused.sorted() {
            let event = events[position]
            if waiting.count >= Self.holdLimit {
                settlement.setAside.append(event)
                heldOver.append(event)
                continue
            }
            waiting.append(Entry(event: event, retries: 0, due: now + Self.retryDelays[0]))
            unsettled[event.id, default: 0] += 1
        }
        var seen: Set<Int64> = []
        for event in events where seen.insert(event.id).inserted && unsettled[event.id] == nil {
            settlement.settledRows.append(event.id)
        }
    }

    /// Removes and returns the entries due for another attempt.
    mutating func takeDue(now: ContinuousClock.Instant) -> [Entry] {
        guard let next = nextDue, next <= now else { return [] }
        let due = waiting.filter { $0.due <= now }
        waiting.removeAll { $0.due <= now }
        return due
    }

    /// Records another attempt at `entries`, of which those at `refused` positions were nacked
    /// again; returns the events set aside now.
    mutating func retried(_ entries: [Entry], refused: Set<Int>, now: ContinuousClock.Instant) -> [OutboxEvent] {
        var setAside: [OutboxEvent] = []
        for (position, var entry) in entries.enumerated() {
            if refused.contains(position) {
                entry.retries += 1
                if entry.retries < Self.retryDelays.count {
                    entry.due = now + Self.retryDelays[entry.retries]
                    waiting.append(entry)
                    continue
                }
                setAside.append(entry.event)
                settlement.setAside.append(entry.event)
            }
            release(entry.event.id)
        }
        return setAside
    }

    private mutating func release(_ row: Int64) {
        guard let count = unsettled[row] else { return }
        if count > 1 {
            unsettled[row] = count - 1
        } else {
            unsettled[row] = nil
            settlement.settledRows.append(row)
        }
    }
}
