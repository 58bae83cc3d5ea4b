import ArgumentParser
import Foundation
import SwitchboardCore

struct ServiceLevelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-level", abstract: "How long customers waited for an operator, and how long they were served.",
        discussion: """
            Over the requests created in the window (default: the last 24 hours): time to assign (created to assigned), \
            the share assigned within each threshold (requests still waiting count as not served), handle time \
            (assigned to closed), and offers; overall, per source and per operator; and the waiting line now.
            """)
    @OptionGroup var options: GlobalOptions
    @Option(help: "Start: RFC 3339, a day (YYYY-MM-DD, UTC), or a period back from now (90m, 12h, 7d).") var since: String?
    @Option(help: "End, in the same forms (default: now).") var until: String?
    @Option(name: .customLong("source"), help: "Only this source's requests (id).") var sourceId: Int64?
    @Option(help: "Only requests that required this skill.") var skill: String?
    @Option(help: "Thresholds in seconds, comma-separated (default 30,60,300; at most 10).") var thresholds: String?

    func validate() throws {
        _ = try thresholdList()
    }

    func thresholdList() throws -> [Int64]? {
        guard let thresholds else { return nil }
        return try thresholds.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let value = Int64(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--thresholds: '\(part)' is not a whole number of seconds")
            }
            return value
        }
    }

    /// The time as the command takes it: periods count back from now, days mean midnight UTC.
    static func time(_ text: String) -> String {
        if let period = Duration(period: text) {
            return Timestamp(milliseconds: Timestamp.now().milliseconds - period.milliseconds).description
        }
        return rfc3339(dayOrTime: text)
    }

    func run() throws {
        var args: [String: JSONValue] = [:]
        if let since { args["since"] = .string(Self.time(since)) }
        if let until { args["until"] = .string(Self.time(until)) }
        if let sourceId { args["source_id"] = .integer(sourceId) }
        if let skill { args["skill"] = .string(skill) }
        if let list = try thresholdList() { args["thresholds_seconds"] = .array(list.map(JSONValue.integer)) }
        try options.show(try options.call(.statsServiceLevel, args), as: ServiceLevel.self, Self.render)
    }

    static func render(_ level: ServiceLevel) -> String {
        let rows = [("all", level.overall)] + level.bySource.map { ("source \($0.sourceId ?? 0)", $0) }
            + level.byOperator.map { ("operator \($0.operatorId ?? 0)", $0) }
        var times = Table([("", .left), ("REQUESTS", .right), ("ASSIGNED", .right), ("CLOSED", .right), ("MEAN", .right),
                           ("P50", .right), ("P90", .right), ("P99", .right), ("MAX", .right), ("HANDLE P50", .right),
                           ("HANDLE P90", .right), ("OFFERS made/acc/dec", .right)])
        for (name, row) in rows {
            let t = row.timeToAssignSeconds
            times.add([name, String(row.requests), String(row.assigned), String(row.closed), seconds(t.mean), seconds(t.p50),
                       seconds(t.p90), seconds(t.p99), seconds(t.max), seconds(row.handleSeconds.p50),
                       seconds(row.handleSeconds.p90), "\(row.offers.made)/\(row.offers.accepted)/\(row.offers.declined)"])
        }
        var within = Table([("", .left)] + level.overall.within.flatMap { [("≤ \($0.thresholdSeconds) s", .right), ("", .left)] })
        for (name, row) in rows {
            within.add([name] + row.within.flatMap { share in
                [share.share.map { percent($0 * 100) } ?? "-", bar(share.share ?? 0)]
            })
        }
        let waiting = level.waiting.oldest.map {
            "oldest request \($0.id) (source \($0.sourceId), priority \($0.priority)) waiting \(seconds($0.ageSeconds))"
        } ?? "none waiting"
        return """
            Requests created \(level.window.since) … \(level.window.until)

            Time to assign and handle time (seconds):
            \(times.rendered)

            Assigned within:
            \(within.rendered)

            Waiting now: \(level.waiting.count); \(waiting)
            """
    }

    static func seconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        return value < 10 ? String(format: "%.3f", value) : value < 1000 ? String(format: "%.1f", value) : String(format: "%.0f", value)
    }
}

/// A time as the commands take it on the command line: RFC 3339, or a day alone
/// (YYYY-MM-DD), which means its start, UTC.
func rfc3339(dayOrTime text: String) -> String {
    text.count == 10 ? text + "T00:00:00Z" : text
}
