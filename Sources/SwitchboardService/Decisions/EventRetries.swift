import SwitchboardCore
import SwitchboardStore

/// Events the broker refused (nacked: a subscriber's queue full with `reject-publish`, or a
/// quorum queue without a leader while a cluster node is lost). A refused event stays in its
/// outbox row, which keeps only the refused events of its transaction, and is published
/// again after a growing pause (100 ms, doubling, at most 30 s apart) until the broker takes
/// it or SWITCHBOARD_EVENT_RETRY_FOR has passed since it was first refused; only then is it
/// set aside. The times are wall-clock milliseconds kept with the row, so a restart or a
/// standby's takeover goes on with the same schedule.
///
/// Pure: it takes the time and returns what to write in ``settlement``. It holds no event
/// beyond the settlement of the moment: the rows waiting are read from the store a page at
/// a time (``RetryRounds``).
struct EventRetries {
    static let firstPause = Duration.milliseconds(100)
    static let longestPause = Duration.seconds(30)

    /// SWITCHBOARD_EVENT_RETRY_FOR; zero: set aside at the first refusal.
    let retryFor: Duration
    /// What to write with the next transaction.
    var settlement = OutboxSettlement()

    init(retryFor: Duration) { self.retryFor = retryFor }

    /// The pause after the `refusals`th refusal: 100 ms, 200 ms, 400 ms, … 25.6 s, then 30 s.
    static func pause(afterRefusals refusals: Int) -> Duration {
        let doublings = min(max(refusals - 1, 0), 9)
        return min(firstPause * (1 << doublings), longestPause)
    }

    /// When events refused for the `refusals`th time at `now` are published again; nil when
    /// their time is up and they are set aside. The last attempt comes when the time ends.
    func nextAttempt(refusals: Int, firstRefusedAt: Timestamp, now: Timestamp) -> Timestamp? {
        let end = firstRefusedAt.milliseconds + retryFor.milliseconds
        guard now.milliseconds < end else { return nil }
        return Timestamp(milliseconds: min(now.milliseconds + Self.pause(afterRefusals: refusals).milliseconds, end))
    }

    /// What became of refused events: the earliest new attempt, and the events set aside now.
    struct Outcome: Equatable {
        var nextDue: Timestamp?
        var setAside: [OutboxEvent] = []
    }

    /// Records the first publication of `events` (from outbox rows never tried), of which
    /// those at `refused` positions were nacked.
    mutating func published(_ events: [OutboxEvent], refused: Set<Int>, now: Timestamp) -> Outcome {
        // The usual case, every event taken: each row settles, nothing else to work out.
        guard !refused.isEmpty else {
            for event in events where settlement.settledRows.last != event.id { settlement.settledRows.append(event.id) }
            return Outcome()
        }
        // Each transaction's events, as a row refused no time yet: one rule for both attempts.
        var rows: [RetryRow] = []
        for event in events {
            if rows.last?.id == event.id {
                rows[rows.count - 1].events.append(event)
            } else {
                rows.append(RetryRow(id: event.id, events: [event], refusals: 0, firstRefusedAt: now, dueAt: now))
            }
        }
        return retried(rows, refused: refused, now: now)
    }

    /// Records another attempt at `rows`, whose events were published in order, one row
    /// after another, and those at `refused` positions nacked again.
    mutating func retried(_ rows: [RetryRow], refused: Set<Int>, now: Timestamp) -> Outcome {
        var outcome = Outcome()
        var offset = 0
        for var row in rows {
            let count = row.events.count
            row.events = row.events.indices.filter { refused.contains(offset + $0) }.map { row.events[$0] }
            offset += count
            record(row, now: now, into: &outcome)
        }
        return outcome
    }

    /// `row` holds the events just refused again (none: every one was taken).
    private mutating func record(_ row: RetryRow, now: Timestamp, into outcome: inout Outcome) {
        guard !row.events.isEmpty else {
            settlement.settledRows.append(row.id)
            return
        }
        let refusals = row.refusals + 1
        guard let due = nextAttempt(refusals: refusals, firstRefusedAt: row.firstRefusedAt, now: now) else {
            settlement.setAside += row.events
            settlement.settledRows.append(row.id)
            outcome.setAside += row.events
            return
        }
        settlement.rescheduled.append(RetryRow(id: row.id, events: row.events, refusals: refusals, firstRefusedAt: row.firstRefusedAt,
                                               dueAt: due))
        outcome.nextDue = min(outcome.nextDue ?? due, due)
    }
}

/// When the writer reads the next page of refused rows from the store and publishes it
/// again: as soon as one is due, and, while the broker goes on refusing, no more than a page
/// every ``pauseWhileRefused``, so that a subscriber refusing for an hour costs intake a
/// small share of the broker, not the writer's whole time. Once a page goes through, the
/// next follows at once: a drained queue gets its backlog at full speed. A value with a
/// given clock.
struct RetryRounds {
    /// Rows, and events, one round reads at most: bounds the writer's memory and the round.
    static let rows = 64
    static let events = 512
    static let pauseWhileRefused = Duration.milliseconds(500)

    /// The earliest attempt due, as far as the writer knows; nil: nothing waits.
    private(set) var earliestDue: Timestamp?
    private var notBefore: ContinuousClock.Instant?

    init(earliestDue: Timestamp?) { self.earliestDue = earliestDue }

    /// Rows were refused (or resent) with an attempt due at `due`.
    mutating func scheduled(_ due: Timestamp?) {
        guard let due else { return }
        earliestDue = min(earliestDue ?? due, due)
    }

    func isDue(now: ContinuousClock.Instant, wallClock: Timestamp) -> Bool {
        guard let due = earliestDue, due <= wallClock else { return false }
        return notBefore.map { now >= $0 } ?? true
    }

    /// A round ended at `now`; `nextDue`: the earliest attempt the store now holds.
    mutating func finished(refusedAgain: Bool, nextDue: Timestamp?, now: ContinuousClock.Instant) {
        earliestDue = nextDue
        notBefore = refusedAgain ? now + Self.pauseWhileRefused : nil
    }

    /// When the writer must wake for the next round, on its monotonic clock; nil: no round waits.
    func wake(now: ContinuousClock.Instant, wallClock: Timestamp) -> ContinuousClock.Instant? {
        guard let due = earliestDue else { return nil }
        let byDue = now + .milliseconds(max(0, due.milliseconds - wallClock.milliseconds))
        return max(byDue, notBefore ?? byDue)
    }
}
