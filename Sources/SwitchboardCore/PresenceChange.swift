/// One change of an operator's presence as the store records it, for the what-if replay:
/// presence over a window is the presence at its start and these changes in it.
public struct PresenceChange: Sendable, Equatable, Codable {
    /// Why it changed. Wider than the event's `reason`: the record also tells an operator's
    /// first presence and a requeue apart from a plain command.
    public enum Reason: String, Sendable, Codable, CaseIterable {
        /// The operator was created with this presence.
        case created
        /// `operator.set_presence`.
        case command
        /// `operator.set_presence` to `offline` with `requeue`: its requests went back to routing.
        case requeue
        /// Offers in a row expired (`SWITCHBOARD_AWAY_AFTER_MISSED`).
        case missedOffers = "missed_offers"

        /// The record's reason for a change the writer made, from the event's reason.
        public init(_ eventReason: PresenceChangeReason, requeue: Bool) {
            switch eventReason {
            case .missedOffers: self = .missedOffers
            case .command: self = requeue ? .requeue : .command
            }
        }
    }

    public var operatorId: Int64
    public var presence: Presence
    /// None when the operator was created.
    public var previous: Presence?
    public var reason: Reason
    public var at: Timestamp

    public init(operatorId: Int64, presence: Presence, previous: Presence?, reason: Reason, at: Timestamp) {
        self.operatorId = operatorId
        self.presence = presence
        self.previous = previous
        self.reason = reason
        self.at = at
    }
}
