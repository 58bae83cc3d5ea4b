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
    case atChannelCapacity(channel: String, capacity: Int)
    case lacksSkill(Requirement)

    public var description: String {
        switch self {
        case .inactive: "is inactive"
        case let .notAvailable(presence): "is \(presence.rawValue)"
        case let .atLimit(limit): "is at its load limit (\(limit))"
        case let .atChannelCapacity(channel, capacity): "is at its capacity for channel \(channel) (\(capacity))"
        case let .lacksSkill(requirement): "lacks skill \(requirement.skill) at level \(requirement.minLevel)"
        }
    }
}

/// The whole eligibility rule of the contract, written once: an operator may take a request
/// when it is active and available, its total load is under `max_load_limit`, its load on
/// the request's channel is under its capacity for that channel (when it names one), it meets
/// every requirement still in force, and it has a weight for the source (or the request
/// overflows). The routing table applies the same rule on interned skills and slots for
/// speed (``OperatorAvailability/hasRoom(channelLoad:channelCapacity:)`` is shared), and the
/// property tests check every pick against this function.
public enum Eligibility {
    public static func unavailability(
        _ availability: OperatorAvailability, channel: String, channelLoad: Int, channelCapacity: Int?,
        skills: Skills, requirements: [Requirement]
    ) -> Unavailability? {
        if let reason = availability.unavailability { return reason }
        if let cap = channelCapacity, channelLoad >= cap { return .atChannelCapacity(channel: channel, capacity: cap) }
        if let missing = requirements.first(where: { !$0.isMet(by: skills) }) { return .lacksSkill(missing) }
        return nil
    }

    public static func isEligible(
        _ availability: OperatorAvailability, channel: String, channelLoad: Int, channelCapacity: Int?,
        skills: Skills, requirements: [Requirement], weight: Int, overflow: Bool
    ) -> Bool {
        (weight > 0 || overflow) && unavailability(availability, channel: channel, channelLoad: channelLoad,
                                                   channelCapacity: channelCapacity, skills: skills, requirements: requirements) == nil
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

    /// Able to take one more of a channel where it holds `channelLoad` and may hold
    /// `channelCapacity` (nil: no cap of its own), skills aside.
    @inlinable
    public func hasRoom(channelLoad: Int, channelCapacity: Int?) -> Bool {
        guard canTakeMore else { return false }
        guard let channelCapacity else { return true }
        return channelLoad < channelCapacity
    }

    /// The operator's share in a draw for a source it has `weight` for: eligible means able
    /// to take more and weighted; an ineligible operator draws 0.
    @inlinable
    public func drawWeight(_ weight: Int) -> Int { canTakeMore && weight > 0 ? weight : 0 }
}
