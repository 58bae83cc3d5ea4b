/// SWITCHBOARD_AWAY_AFTER_MISSED as a rule: an available operator who lets `limit` offers
/// in a row expire is set away, so the line stops waiting on someone who is not there. An
/// accepted or rejected offer, or a presence set by hand, starts the count again.
public struct MissedOffers: Sendable, Equatable {
    /// Expiries in a row that set an operator away; 0: never.
    public var limit: Int

    public init(limit: Int) { self.limit = limit }

    public func setsAway(afterMissedInARow missed: Int, presence: Presence) -> Bool {
        limit > 0 && missed >= limit && presence == .available
    }
}
