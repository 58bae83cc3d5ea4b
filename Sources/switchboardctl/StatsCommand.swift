import ArgumentParser
import SwitchboardCore

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Live statistics.", subcommands: [Load.self, Distribution.self, ServiceLevelCommand.self])

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each operator's load against its limit.")
        @OptionGroup var options: GlobalOptions
        func run() throws {
            try options.show(try options.call(.statsOperatorsLoad), as: OperatorsLoad.self) { load in
                var table = Table([("ID", .right), ("OPERATOR", .left), ("ACTIVE", .left), ("PRESENCE", .left), ("LOAD", .right),
                                   ("OFFERED", .right), ("%", .right), ("", .left), ("BY CHANNEL", .left)])
                for row in load.operators {
                    table.add([String(row.operatorId), row.operatorName, row.isActive ? "yes" : "no", row.presence.rawValue,
                               "\(row.currentLoad)/\(row.maxLoadLimit)", String(row.offered), percent(row.loadPercentage),
                               bar(min(1, row.loadPercentage / 100)),
                               channelsText(Dictionary(uniqueKeysWithValues: row.byChannel.map { ($0.channel, $0.load) }),
                                            capacity: row.byChannel.reduce(into: [:]) { $0[$1.channel] = $1.capacity })])
                }
                return table.hiding(whenAll: ["BY CHANNEL": "-"]).rendered
            }
        }
    }

    struct Distribution: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How requests spread over operators and sources.")
        @OptionGroup var options: GlobalOptions
        func run() throws {
            try options.show(try options.call(.statsRequestsDistribution), as: RequestsDistribution.self) { d in
                let total = d.bySource.reduce(0) { $0 + $1.requestCount }
                func share(_ count: Int) -> Double { total > 0 ? Double(count) / Double(total) : 0 }
                var operators = Table([("ID", .right), ("OPERATOR", .left), ("REQUESTS", .right), ("SHARE", .right), ("", .left)])
                for row in d.byOperator {
                    operators.add([String(row.operatorId), row.operatorName, String(row.requestCount),
                                   percent(share(row.requestCount) * 100), bar(share(row.requestCount))])
                }
                var sources = Table([("ID", .right), ("SOURCE", .left), ("REQUESTS", .right), ("SHARE", .right), ("", .left)])
                for row in d.bySource {
                    sources.add([String(row.sourceId), row.sourceName, String(row.requestCount),
                                 percent(share(row.requestCount) * 100), bar(share(row.requestCount))])
                }
                return "By operator:\n\(operators.rendered)\n\nBy source:\n\(sources.rendered)\n\nUnassigned: \(d.unassignedCount) of \(total)"
            }
        }
    }
}
