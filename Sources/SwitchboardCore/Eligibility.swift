/// An operator's own state, set from their console (the contract's "Operator presence").
/// `is_active` stays the admin's switch; presence is the operator's.
public enum Presence: String, Sendable, Codable, CaseIterable {
    case available, away, offline
}

/// Why an operator cannot take one more request now.
public enum Unavailability: Sendable, Equatable, CustomStringConvertible {
    case inactive
    case notAvailable(Presence)
    case atLimit(Int)

    public var description: String {
        switch self {
        case .inactive: "is inactive"
        case let .notAvailable(presence): "is \(presence.rawValue)"
        case let .atLimit(limit): "is at its load limit (\(limit))"
        }
    }
}

/// What the routing rule knows of an operator whatever the source: the one place the rule
/// "active, available, under the limit" is written. Routing, the waiting line, manual
/// assignment and tests all ask it.
public struct OperatorAvailability: Sendable, Equatable {
    public var isActive: Bool
    public var presence: Presence
    /// Assigned plus offered requests.
    public var load: Int
    public var limit: Int

    @inlinable
    public init(isActive: Bool = true, presence: Presence = .available, load: Int = 0, limit: Int = 1) {
        self.isActive = isActive
        self.presence = presence
        self.load = load
        self.limit = limit
    }

    /// Why the operator cannot take one more request, or nil when it can.
    @inlinable
    public var unavailability: Unavailability? {
        if !isActive { return .inactive }
        if presence != .available { return .notAvailable(presence) }
        if load >= limit { return .atLimit(limit) }
        return nil
    }

    @inlinable
    public var canTakeMore: Bool { unavailability == nil }

    /// The operator's share in a draw for a source it has `weight` for: eligible means able
    /// to take more and weighted; an ineligible operator draws 0.
    @inlinable
    public func drawWeight(_ weight: Int) -> Int { canTakeMore && weight > 0 ? weight : 0 }
}
