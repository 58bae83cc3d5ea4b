import ArgumentParser
import SwitchboardCore

/// `--skill lang.es=5 --capacity chat=3`: what `operator create` and `operator update` take
/// besides name and limit. Given, each replaces the operator's whole object, as the command does.
struct OperatorCompetencies: ParsableArguments {
    @Option(name: .customLong("skill"), help: "SKILL=LEVEL (level 1...10); repeat for each skill. Replaces all skills.")
    var skills: [String] = []
    @Option(name: .customLong("capacity"), help: "CHANNEL=COUNT (0...10000) most requests of a channel at once; repeat per channel.")
    var capacities: [String] = []
    @Flag(name: .customLong("clear-skills"), help: "Remove every skill.") var clearSkills = false
    @Flag(name: .customLong("clear-capacity"), help: "Remove every channel capacity.") var clearCapacity = false

    var isEmpty: Bool { skills.isEmpty && capacities.isEmpty && !clearSkills && !clearCapacity }

    func validate() throws {
        _ = try Self.pairs(skills, "--skill", "SKILL=LEVEL")
        _ = try Self.pairs(capacities, "--capacity", "CHANNEL=COUNT")
    }

    func add(to args: inout [String: JSONValue]) throws {
        if clearSkills || !skills.isEmpty { args["skills"] = .object(try Self.pairs(skills, "--skill", "SKILL=LEVEL")) }
        if clearCapacity || !capacities.isEmpty {
            args["capacity"] = .object(try Self.pairs(capacities, "--capacity", "CHANNEL=COUNT"))
        }
    }

    static func pairs(_ items: [String], _ option: String, _ shape: String) throws -> [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        for item in items {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let value = Int64(parts[1]) else { throw ValidationError("\(option) '\(item)' is not \(shape)") }
            object[String(parts[0])] = .integer(value)
        }
        return object
    }
}

/// `--channel chat --strategy least_loaded --require lang.es=3:60`: a source's competency
/// settings, for `source create` and `source update`.
struct SourceCompetencies: ParsableArguments {
    @Option(help: "The kind of work its requests are (chat, email, voice); default: default.") var channel: String?
    @Option(help: "weighted (default), least_loaded or longest_idle.") var strategy: Strategy?
    @Option(name: .customLong("require"),
            help: "SKILL=LEVEL[:RELAX_SECONDS] its requests need (dropped after RELAX_SECONDS of waiting); repeat. Replaces all.")
    var requirements: [String] = []
    @Flag(name: .customLong("clear-requirements"), help: "Its requests need no skills.") var clearRequirements = false

    var isEmpty: Bool { channel == nil && strategy == nil && requirements.isEmpty && !clearRequirements }

    func validate() throws { _ = try requires() }

    func add(to args: inout [String: JSONValue]) throws {
        if let channel { args["channel"] = .string(channel) }
        if let strategy { args["strategy"] = .string(strategy.rawValue) }
        if clearRequirements || !requirements.isEmpty { args["requires"] = .array(try requires()) }
    }

    func requires() throws -> [JSONValue] { try Self.requirementValues(requirements) }

    /// `lang.es=3:60` → `{"skill": "lang.es", "min_level": 3, "relax_after_seconds": 60}`.
    static func requirementValues(_ items: [String]) throws -> [JSONValue] {
        try items.map { item in
            let parts = item.split(separator: "=", maxSplits: 1)
            let levels = parts.count == 2 ? parts[1].split(separator: ":") : []
            guard parts.count == 2, (1...2).contains(levels.count), let level = Int64(levels[0]) else {
                throw ValidationError("--require '\(item)' is not SKILL=LEVEL[:RELAX_SECONDS]")
            }
            var object: [String: JSONValue] = ["skill": .string(String(parts[0])), "min_level": .integer(level)]
            if levels.count == 2 {
                guard let relax = Int64(levels[1]) else { throw ValidationError("--require '\(item)': RELAX_SECONDS is not a number") }
                object["relax_after_seconds"] = .integer(relax)
            }
            return .object(object)
        }
    }
}

extension Strategy: ExpressibleByArgument {}

/// `lang.es=5 billing=3`, by name.
func skillsText(_ levels: [String: Int]) -> String {
    levels.isEmpty ? "-" : levels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
}

/// `chat 2/3 voice 1/-`: load over capacity per channel (`-`: no cap of its own); `-` alone
/// for an operator who names no capacity and holds only the default channel's work (its
/// load says it all).
func channelsText(_ op: Operator) -> String { channelsText(op.loadByChannel, capacity: op.capacity) }

func channelsText(_ loads: [String: Int], capacity: ChannelCapacity) -> String {
    let channels = Set(loads.keys).union(capacity.keys).sorted()
    guard !capacity.isEmpty || channels.contains(where: { $0 != defaultChannel }) else { return "-" }
    return channels.map { channel in "\(channel) \(loads[channel] ?? 0)/\(capacity[channel].map(String.init) ?? "-")" }
        .joined(separator: " ")
}

/// `lang.es>=3 (60 s) billing>=1`.
func requirementsText(_ requires: [Requirement]) -> String {
    requires.isEmpty ? "-" : requires.map { requirement in
        "\(requirement.skill)>=\(requirement.minLevel)" + (requirement.relaxAfterSeconds.map { " (\($0) s)" } ?? "")
    }.joined(separator: " ")
}
