/// The operator shape, and its row in `stats.operators_load`.

public struct Operator: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    public var isActive: Bool
    public var maxLoadLimit: Int
    /// Assigned plus offered requests, plus closed ones still in wrap-up.
    public var currentLoad: Int
    public var createdAt: Timestamp
    public var presence: Presence
    /// Skill → level; `{}` for an operator without skills.
    public var skills: Skills
    /// Channel → the most requests of it at once; a channel not named has no cap of its own.
    public var capacity: ChannelCapacity
    /// Of `current_load`, the requests by their source's channel.
    public var loadByChannel: [String: Int]
    /// Of `current_load`, the closed requests whose wrap-up still holds a slot.
    public var wrapUpCount: Int
    /// When the last of those wrap-ups ends; absent when none runs.
    public var wrapUpUntil: Timestamp?

    public init(id: Int64, name: String, isActive: Bool, maxLoadLimit: Int, currentLoad: Int, createdAt: Timestamp,
                presence: Presence = .available, skills: Skills = [:], capacity: ChannelCapacity = [:],
                loadByChannel: [String: Int] = [:], wrapUpCount: Int = 0, wrapUpUntil: Timestamp? = nil) {
        self.wrapUpCount = wrapUpCount
        self.wrapUpUntil = wrapUpUntil
        self.skills = skills
        self.capacity = capacity
        self.loadByChannel = loadByChannel
        self.id = id
        self.name = name
        self.isActive = isActive
        self.maxLoadLimit = maxLoadLimit
        self.currentLoad = currentLoad
        self.createdAt = createdAt
        self.presence = presence
    }

    public var availability: OperatorAvailability {
        OperatorAvailability(isActive: isActive, presence: presence, load: currentLoad, limit: maxLoadLimit)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, isActive = "is_active", maxLoadLimit = "max_load_limit", currentLoad = "current_load"
        case createdAt = "created_at", presence, skills, capacity, loadByChannel = "load_by_channel"
        case wrapUpCount = "wrap_up_count", wrapUpUntil = "wrap_up_until"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(Int64.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
            isActive: try c.decode(Bool.self, forKey: .isActive), maxLoadLimit: try c.decode(Int.self, forKey: .maxLoadLimit),
            currentLoad: try c.decode(Int.self, forKey: .currentLoad), createdAt: try c.decode(Timestamp.self, forKey: .createdAt),
            presence: try c.decodeIfPresent(Presence.self, forKey: .presence) ?? .available,
            skills: try c.decodeIfPresent(Skills.self, forKey: .skills) ?? [:],
            capacity: try c.decodeIfPresent(ChannelCapacity.self, forKey: .capacity) ?? [:],
            loadByChannel: try c.decodeIfPresent([String: Int].self, forKey: .loadByChannel) ?? [:],
            wrapUpCount: try c.decodeIfPresent(Int.self, forKey: .wrapUpCount) ?? 0,
            wrapUpUntil: try c.decodeIfPresent(Timestamp.self, forKey: .wrapUpUntil))
    }
}

public struct OperatorLoad: Sendable, Equatable, Codable {
    public var operatorId: Int64
    public var operatorName: String
    public var currentLoad: Int
    public var maxLoadLimit: Int
    /// current/max × 100, rounded to 2 places.
    public var loadPercentage: Double
    public var isActive: Bool
    public var presence: Presence
    /// Of `current_load`, the requests on offer (not yet accepted).
    public var offered: Int
    /// The load on each channel the operator holds requests of or has a capacity for.
    public var byChannel: [ChannelLoad]
    /// The operator's skills, so that a supervisor reading the load sees who can take what.
    public var skills: Skills
    /// Of `current_load`, the wrap-ups running, and when the last of them ends.
    public var wrapUpCount: Int
    public var wrapUpUntil: Timestamp?

    public init(operatorId: Int64, operatorName: String, currentLoad: Int, maxLoadLimit: Int, isActive: Bool,
                presence: Presence = .available, offered: Int = 0, byChannel: [ChannelLoad] = [], skills: Skills = [:],
                wrapUpCount: Int = 0, wrapUpUntil: Timestamp? = nil) {
        self.wrapUpCount = wrapUpCount
        self.wrapUpUntil = wrapUpUntil
        self.byChannel = byChannel
        self.skills = skills
        self.operatorId = operatorId
        self.operatorName = operatorName
        self.currentLoad = currentLoad
        self.maxLoadLimit = maxLoadLimit
        self.loadPercentage = maxLoadLimit > 0 ? (Double(currentLoad) * 10_000 / Double(maxLoadLimit)).rounded() / 100 : 0
        self.isActive = isActive
        self.presence = presence
        self.offered = offered
    }

    enum CodingKeys: String, CodingKey {
        case operatorId = "operator_id", operatorName = "operator_name", currentLoad = "current_load"
        case maxLoadLimit = "max_load_limit", loadPercentage = "load_percentage", isActive = "is_active"
        case presence, offered, byChannel = "by_channel", skills, wrapUpCount = "wrap_up_count", wrapUpUntil = "wrap_up_until"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            operatorId: try c.decode(Int64.self, forKey: .operatorId), operatorName: try c.decode(String.self, forKey: .operatorName),
            currentLoad: try c.decode(Int.self, forKey: .currentLoad), maxLoadLimit: try c.decode(Int.self, forKey: .maxLoadLimit),
            isActive: try c.decode(Bool.self, forKey: .isActive),
            presence: try c.decodeIfPresent(Presence.self, forKey: .presence) ?? .available,
            offered: try c.decodeIfPresent(Int.self, forKey: .offered) ?? 0,
            byChannel: try c.decodeIfPresent([ChannelLoad].self, forKey: .byChannel) ?? [],
            skills: try c.decodeIfPresent(Skills.self, forKey: .skills) ?? [:],
            wrapUpCount: try c.decodeIfPresent(Int.self, forKey: .wrapUpCount) ?? 0,
            wrapUpUntil: try c.decodeIfPresent(Timestamp.self, forKey: .wrapUpUntil))
    }
}

/// One channel of an operator's load: `capacity` null when the operator names none for it.
public struct ChannelLoad: Sendable, Equatable, Codable {
    public var channel: String
    public var load: Int
    public var capacity: Int?

    public init(channel: String, load: Int, capacity: Int?) {
        self.channel = channel
        self.load = load
        self.capacity = capacity
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(channel, forKey: .channel)
        try c.encode(load, forKey: .load)
        try c.encode(capacity, forKey: .capacity)
    }
}

