import SwitchboardStore

/// Paces the forgetting of message ids older than the dedupe window in the single writer:
/// one small round (a short transaction of its own, about a millisecond) every second in
/// steady state, and one between every two batches while older ids remain, so a backlog
/// (a window shortened, a long-stopped service) drains without a long transaction.
struct MessageIdForgetting {
    /// Ids of each kind forgotten per round.
    static let limit = 256
    private var due = ContinuousClock.now

    /// Whether a round is due now; the writer then waits for nothing between batches.
    var isDue: Bool { ContinuousClock.now >= due }

    /// Runs a round if one is due; how many ids it forgot.
    mutating func roundIfDue(_ forget: (Int) throws -> (intake: Int, commands: Int)) rethrows -> Int {
        guard isDue else { return 0 }
        let forgotten = try forget(Self.limit)
        let behind = forgotten.intake == Self.limit || forgotten.commands == Self.limit
        due = behind ? .now : .now + .seconds(1)
        return forgotten.intake + forgotten.commands
    }
}
