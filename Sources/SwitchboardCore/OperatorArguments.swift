/// What `operator.create` and `operator.update` take besides name and limit: nil leaves a
/// value as it is (or at its default, on create); `skills` and `capacity` replace the whole object.
public struct OperatorSettings: Sendable, Equatable {
    public var skills: Skills?
    public var capacity: ChannelCapacity?

    public init(skills: Skills? = nil, capacity: ChannelCapacity? = nil) {
        self.skills = skills
        self.capacity = capacity
    }

    static func read(_ r: inout FieldReader) -> OperatorSettings {
        OperatorSettings(skills: r.skills("skills"), capacity: r.capacity("capacity"))
    }
}

/// `operator.list`'s filter: operators with `skill` at `min_level` (default 1) or more.
public struct OperatorFilter: Sendable, Equatable {
    public var skill: String?
    public var minLevel: Int

    public init(skill: String? = nil, minLevel: Int = 1) {
        self.skill = skill
        self.minLevel = minLevel
    }

    public func admits(_ op: Operator) -> Bool {
        guard let skill else { return true }
        return Requirement(skill: skill, minLevel: minLevel).isMet(by: op.skills)
    }

    static func read(_ r: inout FieldReader) -> OperatorFilter {
        let skill = r.identifier("skill", required: false)
        let level = r.integer("min_level", in: Limits.skillLevel, required: false)
        if level != nil, skill == nil { r.problem("min_level", "is allowed only with skill") }
        return OperatorFilter(skill: skill, minLevel: level ?? 1)
    }
}
