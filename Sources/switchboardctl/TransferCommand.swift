import ArgumentParser
import SwitchboardCore

extension RequestCommand {
    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hand an assigned request to a colleague (--to-operator) or to whoever meets new requirements (--require).",
            discussion: """
                It keeps its age and priority. A colleague must be active, available and have room; \
                to requirements it never goes back to the operator it left, and waits when nobody else qualifies.
                Example: switchboardctl request transfer 7 --require billing=3 --reason "billing, not delivery"
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Request id.") var id: Int64
        @Option(name: .customLong("to-operator"), help: "The colleague's operator id.") var toOperator: Int64?
        @Option(name: .customLong("require"), help: "SKILL=LEVEL[:RELAX_SECONDS], repeatable: the requirements it takes instead of its own.")
        var requirements: [String] = []
        @Option(help: "Why, for the event and the audit trail (at most 200 characters).") var reason: String?

        func validate() throws {
            guard (toOperator == nil) != requirements.isEmpty else { throw ValidationError("give --to-operator or --require, not both") }
            _ = try SourceCompetencies.requirementValues(requirements)
        }

        func run() throws {
            var args: [String: JSONValue] = ["id": .integer(id)]
            if let toOperator { args["operator_id"] = .integer(toOperator) }
            if !requirements.isEmpty { args["requires"] = .array(try SourceCompetencies.requirementValues(requirements)) }
            if let reason { args["reason"] = .string(reason) }
            try options.show(try options.call(.requestTransfer, args), as: Request.self) { requestTable([$0]) }
        }
    }
}
