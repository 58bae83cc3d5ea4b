import ArgumentParser
import SwitchboardCore

struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source", abstract: "Create and list sources, and set their operators' weights.",
        subcommands: [Create.self, List.self, Get.self, Update.self, Weights.self, Hours.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a source (a bot, a mailbox, a phone line).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Display name.") var name: String
        @Option(help: "Identifier bots use in intake messages: ^[a-z0-9][a-z0-9_.-]{0,63}$.") var identifier: String
        @OptionGroup var routing: RoutingSettings
        @OptionGroup var competencies: SourceCompetencies
        @OptionGroup var hours: SourceHoursOption
        func run() throws {
            var args: [String: JSONValue] = ["name": .string(name), "identifier": .string(identifier)]
            routing.add(to: &args)
            try competencies.add(to: &args)
            try hours.add(to: &args)
            try options.show(try options.call(.sourceCreate, args), as: Source.self) { sourceTable([$0]) }
        }
    }

    /// The routing settings `source create` and `source update` both take.
    struct RoutingSettings: ParsableArguments {
        @Option(name: .customLong("offer-timeout"), help: "Seconds an offer lasts (0...3600; 0, the default: assign at once).")
        var offerTimeout: Int?
        @Option(name: .customLong("max-wait"), help: "Seconds a request may wait before it is escalated to priority 9 (0...86400; 0: never).")
        var maxWait: Int?
        @Flag(inversion: .prefixedNo, help: "Let escalated requests go to operators without a weight for this source.")
        var overflow: Bool?
        @Option(help: "Seconds a returning user goes back to their last operator, when eligible (0...2592000; 0: off).")
        var sticky: Int?
        @Option(name: .customLong("wrap-up"), help: "Seconds an operator's slot stays taken after closing a request (0...3600; 0: none).")
        var wrapUp: Int?

        var isEmpty: Bool { offerTimeout == nil && maxWait == nil && overflow == nil && sticky == nil && wrapUp == nil }

        func add(to args: inout [String: JSONValue]) {
            if let offerTimeout { args["offer_timeout_seconds"] = .integer(Int64(offerTimeout)) }
            if let maxWait { args["max_wait_seconds"] = .integer(Int64(maxWait)) }
            if let overflow { args["overflow"] = .bool(overflow) }
            if let sticky { args["sticky_seconds"] = .integer(Int64(sticky)) }
            if let wrapUp { args["wrap_up_seconds"] = .integer(Int64(wrapUp)) }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a source's name or routing settings.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Source id.") var id: Int64
        @Option(help: "New display name.") var name: String?
        @OptionGroup var routing: RoutingSettings
        @OptionGroup var competencies: SourceCompetencies
        @OptionGroup var hours: SourceHoursOption

        func validate() throws {
            guard name != nil || !routing.isEmpty || !competencies.isEmpty || !hours.isEmpty else {
                throw ValidationError("""
                    give at least one of --name, --offer-timeout, --max-wait, --[no-]overflow, --sticky, --wrap-up, --channel, --strategy, \
                    --require, --clear-requirements, --hours
                    """)
            }
        }

        func run() throws {
            var args: [String: JSONValue] = ["id": .integer(id)]
            if let name { args["name"] = .string(name) }
            routing.add(to: &args)
            try competencies.add(to: &args)
            try hours.add(to: &args)
            try options.show(try options.call(.sourceUpdate, args), as: Source.self) { sourceTable([$0]) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sources with their weights.")
        @OptionGroup var options: GlobalOptions
        func run() throws { try options.show(try options.call(.sourceList), as: [Source].self, sourceTable) }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one source with its weights.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Source id.") var id: Int64
        func run() throws {
            try options.show(try options.call(.sourceGet, ["id": .integer(id)]), as: Source.self) { sourceTable([$0]) }
        }
    }

    struct Weights: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a source's weights.", discussion: "Example: switchboardctl source weights 1 1=50 2=30 3=20")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Source id.") var sourceId: Int64
        @Argument(help: "OPERATOR_ID=WEIGHT pairs (weight 1...100); none clears the list.") var pairs: [String] = []

        func parsed() throws -> [(Int64, Int64)] {
            try pairs.map { pair in
                let parts = pair.split(separator: "=")
                guard parts.count == 2, let id = Int64(parts[0]), let weight = Int64(parts[1]) else {
                    throw ValidationError("'\(pair)' is not OPERATOR_ID=WEIGHT")
                }
                return (id, weight)
            }
        }

        func validate() throws { _ = try parsed() }

        func run() throws {
            let weights = JSONValue.array(try parsed().map { .object(["operator_id": .integer($0.0), "weight": .integer($0.1)]) })
            let result = try options.call(.sourceSetWeights, ["source_id": .integer(sourceId), "weights": weights])
            try options.show(result, as: Source.self) { sourceTable([$0]) }
        }
    }
}

func sourceTable(_ sources: [Source]) -> String {
    var table = Table([("ID", .right), ("NAME", .left), ("IDENTIFIER", .left), ("OFFERS", .left), ("MAX WAIT", .left),
                       ("OVERFLOW", .left), ("STICKY", .left), ("WRAP-UP", .left), ("HOURS", .left), ("CHANNEL", .left),
                       ("STRATEGY", .left), ("REQUIRES", .left), ("WEIGHTS (operator=weight)", .left)])
    func seconds(_ value: Int) -> String { value > 0 ? "\(value) s" : "off" }
    for source in sources {
        let weights = source.weights.map { "\($0.operatorId)=\($0.weight)" }.joined(separator: " ")
        table.add([String(source.id), source.name, source.identifier, seconds(source.offerTimeoutSeconds),
                   seconds(source.maxWaitSeconds), source.overflow ? "yes" : "no", seconds(source.stickySeconds),
                   seconds(source.wrapUpSeconds), hoursText(source), source.channel, source.strategy.rawValue, requirementsText(source.requires), weights.isEmpty ? "-" : weights])
    }
    return table.hiding(whenAll: ["WRAP-UP": "off", "HOURS": "-", "CHANNEL": defaultChannel, "STRATEGY": Strategy.weighted.rawValue, "REQUIRES": "-"]).rendered
}
