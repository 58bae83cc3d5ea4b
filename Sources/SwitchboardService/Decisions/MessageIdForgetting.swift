/// Paces the forgetting of message ids older than the dedupe window in the single writer:
/// one small round (a short transaction of its own, about a millisecond) every second in
/// steady state, and one between every two batches while older ids remain, so a backlog
/// (a window shortened, a long-stopped service) drains without a long transaction. A value
/// with a given clock; the writer runs the rounds.
struct MessageIdForgetting {
    /// Ids of each kind forgotten per round.
    static let limit = 256
    static let pauseWhenCaughtUp = Duration.seconds(1)
    private(set) var due: ContinuousClock.Instant

    init(startingAt now: ContinuousClock.Instant) { due = now }

    /// Whether a round is due at `now`; the writer then waits for nothing between batches.
    func isDue(at now: ContinuousClock.Instant) -> Bool { now >= due }

    /// Takes what a round forgot, finished at `now`: another at once while a kind filled its round.
    mutating func finished(intake: Int, commands: Int, at now: ContinuousClock.Instant) {
        let behind = intake == Self.limit || commands == Self.limit
        due = behind ? now : now + Self.pauseWhenCaughtUp
    }
}
