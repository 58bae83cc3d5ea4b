import SwitchboardCore

/// Skills, capacities, requirements and relaxed skills as their columns hold them: JSON
/// text, keys sorted, NULL for an empty one (so rows from before competencies read as none).
enum CompetencyColumns {
    static func text(_ levels: [String: Int]) -> String? {
        guard !levels.isEmpty else { return nil }
        return json(.object(levels.mapValues { .integer(Int64($0)) }))
    }

    static func levels(_ text: String?) -> [String: Int] {
        guard case let .object(members)? = parse(text) else { return [:] }
        return members.compactMapValues { if case let .integer(n) = $0 { Int(n) } else { nil } }
    }

    /// Written directly, keys sorted: intake writes one for every request that has requirements.
    static func text(_ requires: [Requirement]) -> String? {
        guard !requires.isEmpty else { return nil }
        var writer = JSONWriter(capacity: 48 * requires.count)
        writer.requirementList(requires)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    static func requirements(_ text: String?) -> [Requirement] {
        guard case let .array(items)? = parse(text) else { return [] }
        return items.compactMap { item in
            guard case let .object(members) = item, case let .string(skill)? = members["skill"] else { return nil }
            let level: Int = if case let .integer(n)? = members["min_level"] { Int(n) } else { 1 }
            let relax: Int? = if case let .integer(n)? = members["relax_after_seconds"] { Int(n) } else { nil }
            return Requirement(skill: skill, minLevel: level, relaxAfterSeconds: relax)
        }
    }

    static func text(_ names: [String]) -> String? {
        names.isEmpty ? nil : json(.array(names.map(JSONValue.string)))
    }

    static func names(_ text: String?) -> [String] {
        guard case let .array(items)? = parse(text) else { return [] }
        return items.compactMap { if case let .string(name) = $0 { name } else { nil } }
    }

    private static func json(_ value: JSONValue) -> String { String(decoding: value.jsonBytes(), as: UTF8.self) }

    private static func parse(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return try? JSONParser.parse(Array(text.utf8))
    }
}
