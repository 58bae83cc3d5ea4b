import SwitchboardStore

/// Paces SWITCHBOARD_RETAIN_CLOSED in the single writer: small rounds that archive and
/// delete closed requests past the setting, each a short transaction of its own, and the
/// free pages they leave given back in steps.
///
/// A round of 64 takes about 1.5 ms (two fsyncs, the archive's and the commit's). Under
/// load one runs every 250 ms while older requests remain, so few messages ever wait behind
/// one (paced p99, switchboard-bench --only retention), and about 250 are purged a second,
/// some twenty times a busy day's intake. When no delivery has come for a moment, rounds run
/// back to back for up to 20 ms at a time, and a backlog drains at idle speed.
struct ClosedRequestRetention {
    static let limit = 64
    static let pauseWhileBehind = Duration.milliseconds(250)
    static let idleBurst = Duration.milliseconds(20)
    let retain: Duration?
    private var due = ContinuousClock.now
    /// Whether the last round found a full batch: older requests remain.
    private(set) var isBehind = false

    init(retain: Duration?) { self.retain = retain }

    var isDue: Bool { ContinuousClock.now >= due }

    /// Runs a round if one is due; how many requests it purged.
    mutating func roundIfDue(_ purge: (Duration, Int) throws -> Int) rethrows -> Int {
        guard isDue else { return 0 }
        return try round(purge)
    }

    /// Runs rounds while older requests remain, for at most ``idleBurst``: the writer is idle.
    mutating func burst(_ purge: (Duration, Int) throws -> Int) rethrows -> Int {
        let until = ContinuousClock.now + Self.idleBurst
        var purged = 0
        repeat { purged += try round(purge) } while isBehind && ContinuousClock.now < until
        return purged
    }

    private mutating func round(_ purge: (Duration, Int) throws -> Int) rethrows -> Int {
        guard let retain else {
            // Nothing to purge, but a request.purge may have freed pages: check now and then.
            due = .now + .seconds(1)
            return 0
        }
        let purged = try purge(retain, Self.limit)
        isBehind = purged == Self.limit
        due = .now + (isBehind ? Self.pauseWhileBehind : .seconds(1))
        return purged
    }
}
