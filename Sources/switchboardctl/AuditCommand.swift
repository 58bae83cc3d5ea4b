import ArgumentParser
import Foundation
import SwitchboardCore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Who changed what: commands that changed state or were refused, oldest first (admins only).")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Only this broker user's.") var user: String?
    @Option(help: "Only this command's, e.g. source.set_weights.") var command: String?
    @Option(help: "At most this many (1...1000).") var limit: Int = 100
    @Option(help: "Only entries with a larger id (paging).") var after: Int64?

    func run() throws {
        var args: [String: JSONValue] = ["limit": .integer(Int64(limit))]
        if let user { args["user"] = .string(user) }
        if let command { args["command"] = .string(command) }
        if let after { args["after_id"] = .integer(after) }
        try options.show(try options.call(.auditList, args), as: [AuditEntry].self) { entries in
            var table = Table([("ID", .right), ("AT", .left), ("USER", .left), ("VIA", .left), ("COMMAND", .left), ("OUTCOME", .left),
                               ("ARGS", .left)])
            for entry in entries {
                table.add([String(entry.id), entry.at.description, entry.user ?? "-", entry.via.rawValue, entry.command, entry.outcome,
                           String(decoding: entry.args.jsonBytes(), as: UTF8.self)])
            }
            return table.rendered
        }
    }
}
