import ArgumentParser
import SwitchboardCore

struct OperatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "Create, list and change operators.",
        subcommands: [Create.self, List.self, Get.self, Update.self, Toggle.self, Presence.self, EndWrapUp.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an operator (active unless --inactive).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "The operator's name.") var name: String
        @Option(name: .customLong("max-load"), help: "Most requests in hand at once (1...10000).") var maxLoad: Int
        @Flag(help: "Create it inactive.") var inactive = false
        @Option(help: "available (default), away or offline.") var presence: SwitchboardCore.Presence?
        @OptionGroup var competencies: OperatorCompetencies

        func run() throws {
            var args: [String: JSONValue] = ["name": .string(name), "max_load_limit": .integer(Int64(maxLoad)), "is_active": .bool(!inactive)]
            if let presence { args["presence"] = .string(presence.rawValue) }
            try competencies.add(to: &args)
            let result = try options.call(.operatorCreate, args)
            try options.show(result, as: Operator.self, describe)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List operators, or those with a skill.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only operators with this skill.") var skill: String?
        @Option(name: .customLong("min-level"), help: "With --skill: at this level or above (default 1).") var minLevel: Int?

        func validate() throws {
            if minLevel != nil, skill == nil { throw ValidationError("--min-level goes with --skill") }
        }

        func run() throws {
            var args: [String: JSONValue] = [:]
            if let skill { args["skill"] = .string(skill) }
            if let minLevel { args["min_level"] = .integer(Int64(minLevel)) }
            try options.show(try options.call(.operatorList, args), as: [Operator].self, operatorTable)
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one operator.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Operator id.") var id: Int64
        func run() throws {
            try options.show(try options.call(.operatorGet, ["id": .integer(id)]), as: Operator.self, describe)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an operator's name, limit, activity, skills or capacities.",
            discussion: "A limit or capacity below the load is accepted: the operator gets nothing new until under it.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Operator id.") var id: Int64
        @Option(help: "New name.") var name: String?
        @Option(name: .customLong("max-load"), help: "New load limit.") var maxLoad: Int?
        @Option(help: "true or false.") var active: Bool?
        @OptionGroup var competencies: OperatorCompetencies

        func validate() throws {
            guard name != nil || maxLoad != nil || active != nil || !competencies.isEmpty else {
                throw ValidationError("give at least one of --name, --max-load, --active, --skill, --capacity, --clear-skills, --clear-capacity")
            }
        }

        func run() throws {
            var args: [String: JSONValue] = ["id": .integer(id)]
            if let name { args["name"] = .string(name) }
            if let maxLoad { args["max_load_limit"] = .integer(Int64(maxLoad)) }
            if let active { args["is_active"] = .bool(active) }
            try competencies.add(to: &args)
            try options.show(try options.call(.operatorUpdate, args), as: Operator.self, describe)
        }
    }

    struct Toggle: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Switch an operator between active and inactive.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Operator id.") var id: Int64
        func run() throws {
            try options.show(try options.call(.operatorToggleActive, ["id": .integer(id)]), as: Operator.self, describe)
        }
    }

    struct Presence: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an operator's presence, as their console does.",
            discussion: """
                Leaving available withdraws the operator's outstanding offers, which go to others at once.
                offline --requeue also sends their assigned requests back to routing, oldest first.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Operator id.") var id: Int64
        @Argument(help: "available, away or offline.") var presence: SwitchboardCore.Presence
        @Flag(help: "With offline: send the operator's assigned requests back to routing.") var requeue = false

        func run() throws {
            var args: [String: JSONValue] = ["id": .integer(id), "presence": .string(presence.rawValue)]
            if requeue { args["requeue"] = .bool(true) }
            try options.show(try options.call(.operatorSetPresence, args), as: Operator.self, describe)
        }
    }

    struct EndWrapUp: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "end-wrap-up", abstract: "End an operator's wrap-ups now: their slots free and the waiting line is served.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Operator id.") var id: Int64
        func run() throws {
            try options.show(try options.call(.operatorEndWrapUp, ["id": .integer(id)]), as: Operator.self, describe)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an operator with no assigned requests.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Operator id.") var id: Int64
        func run() throws {
            try options.show(try options.call(.operatorDelete, ["id": .integer(id)]), as: Deleted.self) {
                "Deleted operator \($0.deleted)."
            }
        }
    }
}

extension Presence: ExpressibleByArgument {}

func describe(_ op: Operator) -> String {
    operatorTable([op])
}

func operatorTable(_ operators: [Operator]) -> String {
    var table = Table([("ID", .right), ("NAME", .left), ("ACTIVE", .left), ("PRESENCE", .left), ("LOAD", .right),
                       ("WRAP-UP", .left), ("BY CHANNEL", .left), ("SKILLS", .left), ("CREATED", .left)])
    for op in operators {
        let wrapUp = op.wrapUpUntil.map { "\(op.wrapUpCount) until \($0)" } ?? "-"
        table.add([String(op.id), op.name, op.isActive ? "yes" : "no", op.presence.rawValue, "\(op.currentLoad)/\(op.maxLoadLimit)",
                   wrapUp, channelsText(op), skillsText(op.skills), op.createdAt.description])
    }
    return table.hiding(whenAll: ["WRAP-UP": "-", "BY CHANNEL": "-", "SKILLS": "-"]).rendered
}
