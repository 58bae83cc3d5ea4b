import SwitchboardCore

/// How long the writer may wait for the next delivery when none is in hand, and what it must
/// do when the wait ends with nothing: a pure decision over the writer's schedules. Offer
/// expiries and escalations are handled on time even when no delivery comes, because no wait
/// outlasts the next deadline.
struct NextWake: Equatable {
    /// The longest the writer waits with nothing due: its heartbeat of bookkeeping.
    static let idlePause = Duration.milliseconds(200)
    /// While retention is behind, the wait is short, so its next round comes on time.
    static let retentionBehindPause = Duration.milliseconds(50)

    var wait: Duration

    /// What the writer's schedules say at `now` (its monotonic clock) and `wallClock` (the
    /// clock deadlines are stored in).
    struct Schedules {
        var nextRetry: ContinuousClock.Instant?
        var forgettingDue: Bool
        var retentionBehind: Bool
        var nextDeadline: Timestamp?
    }

    init(wait: Duration) { self.wait = wait }

    init(_ schedules: Schedules, now: ContinuousClock.Instant, wallClock: Timestamp) {
        var wait = Self.idlePause
        if let retry = schedules.nextRetry { wait = min(wait, max(.zero, retry - now)) }
        if schedules.forgettingDue { wait = .zero }
        if schedules.retentionBehind { wait = min(wait, Self.retentionBehindPause) }
        if let deadline = schedules.nextDeadline {
            wait = min(wait, .milliseconds(max(0, deadline.milliseconds - wallClock.milliseconds)))
        }
        self.wait = wait
    }

    /// What an empty wait leads to.
    enum Idle: Equatable {
        /// A deadline has come: the writer applies an empty batch, which handles it.
        case handleDeadlines
        /// The write-ahead log is due a checkpoint.
        case checkpoint
        /// Bookkeeping, keep-alives and retention at idle speed.
        case housekeeping
    }

    static func idle(nextDeadline: Timestamp?, wallClock: Timestamp, checkpointDue: Bool) -> Idle {
        if let deadline = nextDeadline, deadline <= wallClock { return .handleDeadlines }
        return checkpointDue ? .checkpoint : .housekeeping
    }
}
