import SwitchboardStore

/// Paces SWITCHBOARD_RETAIN_CLOSED and SWITCHBOARD_RETAIN_AUDIT in the single writer: small
/// rounds that archive and delete closed requests, and delete audit rows and presence
/// changes (kept as long as the audit trail), past their
/// settings, each a short transaction of its own; and the free pages they leave given back.
/// A value with a given clock: it says when the next round is due and whether an idle burst
/// goes on; the writer runs the rounds.
///
/// A round of 64 requests takes about 1.5 ms (two fsyncs, the archive's and the commit's).
/// Under load one runs every 250 ms while older rows remain, so few messages ever wait behind
/// one (paced p99 0.94 of the same service without retention, switchboard-bench --only
/// retention), and about 250 requests go a second, some twenty times a busy day's intake.
/// When no delivery has come for a moment, rounds run back to back for up to 20 ms at a
/// time, and a backlog drains at idle speed.
struct RetentionRounds {
    /// What one round deletes at most, of each kind.
    static let requests = 64
    static let auditRows = 256
    static let presenceChanges = 256
    static let pauseWhileBehind = Duration.milliseconds(250)
    static let pauseWhenCaughtUp = Duration.seconds(1)
    static let idleBurst = Duration.milliseconds(20)

    private(set) var due: ContinuousClock.Instant
    /// Whether the last round found a full batch of any kind: older rows remain.
    private(set) var isBehind = false

    init(startingAt now: ContinuousClock.Instant) { due = now }

    struct Removed: Equatable {
        var requests = 0
        var auditRows = 0
        var presenceChanges = 0

        static func + (a: Removed, b: Removed) -> Removed {
            Removed(requests: a.requests + b.requests, auditRows: a.auditRows + b.auditRows,
                    presenceChanges: a.presenceChanges + b.presenceChanges)
        }
    }

    func isDue(at now: ContinuousClock.Instant) -> Bool { now >= due }

    /// Takes what a round deleted, finished at `now`: the next is due sooner while rows remain.
    mutating func finished(_ removed: Removed, at now: ContinuousClock.Instant) {
        isBehind = removed.requests == Self.requests || removed.auditRows == Self.auditRows
            || removed.presenceChanges == Self.presenceChanges
        due = now + (isBehind ? Self.pauseWhileBehind : Self.pauseWhenCaughtUp)
    }

    /// Whether an idle burst begun at `start` runs another round at `now`.
    func burstGoesOn(startedAt start: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Bool {
        isBehind && now - start < Self.idleBurst
    }
}
