import SwitchboardStore

/// Paces SWITCHBOARD_RETAIN_CLOSED and SWITCHBOARD_RETAIN_AUDIT in the single writer: small
/// rounds that archive and delete closed requests, and delete audit rows, past their
/// settings, each a short transaction of its own; and the free pages they leave given back.
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
    static let pauseWhileBehind = Duration.milliseconds(250)
    static let idleBurst = Duration.milliseconds(20)
    private var due = ContinuousClock.now
    /// Whether the last round found a full batch of either kind: older rows remain.
    private(set) var isBehind = false

    var isDue: Bool { ContinuousClock.now >= due }

    /// Runs a round if one is due; what it deleted.
    mutating func roundIfDue(_ round: () throws -> Removed) rethrows -> Removed {
        guard isDue else { return Removed() }
        return try self.round(round)
    }

    /// Runs rounds while older rows remain, for at most ``idleBurst``: the writer is idle.
    mutating func burst(_ round: () throws -> Removed) rethrows -> Removed {
        let until = ContinuousClock.now + Self.idleBurst
        var total = Removed()
        repeat {
            let deleted = try self.round(round)
            total.requests += deleted.requests
            total.auditRows += deleted.auditRows
        } while isBehind && ContinuousClock.now < until
        return total
    }

    struct Removed {
        var requests = 0
        var auditRows = 0
    }

    private mutating func round(_ round: () throws -> Removed) rethrows -> Removed {
        let deleted = try round()
        isBehind = deleted.requests == Self.requests || deleted.auditRows == Self.auditRows
        due = .now + (isBehind ? Self.pauseWhileBehind : .seconds(1))
        return deleted
    }
}
