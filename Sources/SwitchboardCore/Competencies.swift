/// The third edition's competencies (../shared/CONTRACT.md, "Skills and requirements",
/// "Channels: capacity per channel", "Strategies"): what an operator can do, what a request
/// needs, and how one eligible operator is chosen among several.

/// Skill name → level (1…10). Names are identifiers.
public typealias Skills = [String: Int]

/// Channel → the most requests of that channel an operator holds at once (0…10,000). A
/// channel not named has no cap of its own.
public typealias ChannelCapacity = [String: Int]

/// What a request needs of its operator: a skill at a level, dropped once the request has
/// waited `relaxAfterSeconds` (the bullseye ring of contact centres).
public struct Requirement: Sendable, Equatable, Hashable, Codable {
    public var skill: String
    public var minLevel: Int
    public var relaxAfterSeconds: Int?

    public init(skill: String, minLevel: Int = 1, relaxAfterSeconds: Int? = nil) {
        self.skill = skill
        self.minLevel = minLevel
        self.relaxAfterSeconds = relaxAfterSeconds
    }

    enum CodingKeys: String, CodingKey {
        case skill, minLevel = "min_level", relaxAfterSeconds = "relax_after_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(skill: try c.decode(String.self, forKey: .skill), minLevel: try c.decodeIfPresent(Int.self, forKey: .minLevel) ?? 1,
                  relaxAfterSeconds: try c.decodeIfPresent(Int.self, forKey: .relaxAfterSeconds))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(skill, forKey: .skill)
        try c.encode(minLevel, forKey: .minLevel)
        try c.encodeIfPresent(relaxAfterSeconds, forKey: .relaxAfterSeconds)
    }

    /// Whether an operator with these skills meets the requirement.
    @inlinable
    public func isMet(by skills: Skills) -> Bool { (skills[skill] ?? 0) >= minLevel }

    /// The requirements not relaxed yet: the ones eligibility checks.
    public static func inForce(_ requires: [Requirement], relaxed: [String]) -> [Requirement] {
        relaxed.isEmpty ? requires : requires.filter { !relaxed.contains($0.skill) }
    }
}

/// How one operator is chosen among the eligible for a source's request.
public enum Strategy: String, Sendable, Codable, CaseIterable {
    /// Probability weight / sum of weights: the original's rule.
    case weighted
    /// The lowest `current_load / max_load_limit`; ties by the weighted draw.
    case leastLoaded = "least_loaded"
    /// The one whose latest assignment is oldest, never assigned first; ties by the weighted draw.
    case longestIdle = "longest_idle"
}

/// The channel of a source that names none.
public let defaultChannel = "default"

extension Limits {
    public static let skillLevel = 1...10
    public static let skillCount = 100
    public static let requirementCount = 10
    public static let relaxAfterSeconds = 1...86_400
    public static let channelCapacity = 0...10_000
}

extension FieldReader {
    /// `skills`: an object of identifier → level; nil when absent.
    public mutating func skills(_ key: String) -> Skills? {
        guard let members = object(key) else { return nil }
        if members.count > Limits.skillCount { problem(key, "must name at most \(Limits.skillCount) skills, got \(members.count)") }
        return namedIntegers(members, key, noun: "skill name", in: Limits.skillLevel)
    }

    /// `capacity`: an object of channel → requests at once; nil when absent.
    public mutating func capacity(_ key: String) -> ChannelCapacity? {
        object(key).map { namedIntegers($0, key, noun: "channel name", in: Limits.channelCapacity) }
    }

    /// An object's members whose names are identifiers and whose values are integers in `range`.
    private mutating func namedIntegers(_ members: [String: JSONValue], _ key: String, noun: String, in range: ClosedRange<Int>)
        -> [String: Int] {
        var values: [String: Int] = [:]
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            guard Limits.isValidIdentifier(name) else {
                problem("\(key).\(name)", "is not a \(noun): must match ^[a-z0-9][a-z0-9_.-]{0,63}$")
                continue
            }
            if let number = integer(value, field: "\(key).\(name)", in: range) { values[name] = number }
        }
        return values
    }

    /// `requires`: at most 10 requirements, a skill at most once; nil when absent.
    public mutating func requirements(_ key: String) -> [Requirement]? {
        guard let items = array(key, required: false) else { return nil }
        if items.count > Limits.requirementCount {
            problem(key, "must hold at most \(Limits.requirementCount) requirements, got \(items.count)")
        }
        var requirements: [Requirement] = []
        for (index, item) in items.enumerated() {
            let field = "\(key)[\(index)]"
            guard case let .object(object) = item else {
                problem(field, "must be an object, got \(item.kindName)")
                continue
            }
            var each = FieldReader(object, prefix: "\(prefixed(field)).")
            let skill = each.identifier("skill")
            let level = each.integer("min_level", in: Limits.skillLevel, required: false) ?? 1
            let relax = each.integer("relax_after_seconds", in: Limits.relaxAfterSeconds, required: false)
            each.rejectUnknownFields()
            merge(each)
            guard let skill else { continue }
            if requirements.contains(where: { $0.skill == skill }) {
                problem("\(field).skill", "skill \(skill) is required more than once")
                continue
            }
            requirements.append(Requirement(skill: skill, minLevel: level, relaxAfterSeconds: relax))
        }
        return requirements
    }
}
