import ArgumentParser
import Foundation
import SwitchboardCore

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recorded window through the service's routing, as it was and with changes, side by side (admins only).",
        discussion: """
            Changes (JSON): {"operators": {"<id>": {operator fields}}, "add_operators": [operator fields
            with "weights": {"<source id>": weight} and "presence_schedule": {hours}], "sources": {"<id>":
            {source fields, "weights": [...]}}}. The same seed gives the same result; nothing in the
            service changes. See docs/replay.md.
            """)
    @OptionGroup var options: GlobalOptions
    @Option(help: "Start of the window (RFC 3339), e.g. 2026-12-07T08:00:00Z.") var since: String?
    @Option(help: "End of the window (RFC 3339), after --since and at most 31 days later.") var until: String?
    @Option(help: "Show a report saved earlier with --json instead of asking the service (no --since, --until).")
    var report: String?
    @Option(help: "A JSON file of changes (default: none).") var changes: String?
    @Option(help: "Seed of the replay's draws (default: the service's SWITCHBOARD_RANDOM_SEED, else 1).") var seed: UInt64?
    @Option(help: "Also write a self-contained HTML report to this file.") var html: String?
    @Option(help: "Seconds to wait for the replay's answer (a day of a busy floor takes seconds).") var wait: Double = 300

    func validate() throws {
        guard wait > 0 else { throw ValidationError("--wait must be positive") }
        if report != nil {
            guard since == nil, until == nil, changes == nil, seed == nil else {
                throw ValidationError("--report shows a saved report: give it without --since, --until, --changes or --seed")
            }
        } else if since == nil || until == nil {
            throw ValidationError("give --since and --until (the window to replay), or --report FILE (a report saved with --json)")
        }
    }

    func run() throws {
        let result = try report.map(Self.readReport) ?? replay()
        let report = try JSONDecoder().decode(ReplayReport.self, from: JSONEncoder().encode(result))
        if let html {
            do {
                try ReplayPage(report).html.write(toFile: html, atomically: true, encoding: .utf8)
            } catch {
                throw CLIFailure(message: "error: cannot write the report to \(html): \(error.localizedDescription)", status: 1)
            }
        }
        try options.show(result, as: ReplayReport.self) { ReplayTables($0).rendered + (html.map { "\n\nReport written to \($0)." } ?? "") }
    }

    private func replay() throws -> JSONValue {
        var args: [String: JSONValue] = ["since": .string(since ?? ""), "until": .string(until ?? "")]
        if let seed { args["seed"] = .integer(Int64(clamping: seed)) }
        if let changes { args["changes"] = try Self.readChanges(changes) }
        var waiting = options
        waiting.timeout = max(options.timeout, wait)
        return try waiting.call(.replayRun, args)
    }

    /// A report saved with `--json`.
    static func readReport(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure(message: "error: cannot read the report \(path)", status: 2)
        }
        do {
            let value = try JSONParser.parse(Array(data))
            _ = try JSONDecoder().decode(ReplayReport.self, from: data)
            return value
        } catch {
            throw CLIFailure(message: "error: \(path) is not a report saved with switchboardctl replay --json: \(error)", status: 2)
        }
    }

    /// The changes file as JSON; the service names each bad field in it.
    static func readChanges(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure(message: "error: cannot read the changes file \(path)", status: 2)
        }
        do {
            return try JSONParser.parse(Array(data))
        } catch {
            throw CLIFailure(message: "error: the changes file \(path) is not JSON: \(error)", status: 2)
        }
    }
}

/// The report as text: the measures of both runs with the difference, then by source and by
/// operator.
struct ReplayTables {
    let report: ReplayReport
    init(_ report: ReplayReport) { self.report = report }

    var rendered: String {
        let (was, now) = (report.asItWas, report.withChanges)
        var overall = Table([("", .left), ("AS IT WAS", .right), ("WITH CHANGES", .right), ("DIFFERENCE", .right)])
        func row(_ name: String, _ a: Double?, _ b: Double?, unit: String = "", digits: Int = 0) {
            func text(_ v: Double?) -> String { v.map { String(format: "%.\(digits)f", $0) + unit } ?? "-" }
            let difference = if let a, let b { (b >= a ? "+" : "") + text(b - a) } else { "-" }
            overall.add([name, text(a), text(b), difference])
        }
        let (a, b) = (was.serviceLevel.overall, now.serviceLevel.overall)
        row("requests", Double(a.requests), Double(b.requests))
        row("assigned", Double(a.assigned), Double(b.assigned))
        for (label, x, y) in [("p50", a.timeToAssignSeconds.p50, b.timeToAssignSeconds.p50),
                              ("p90", a.timeToAssignSeconds.p90, b.timeToAssignSeconds.p90),
                              ("p99", a.timeToAssignSeconds.p99, b.timeToAssignSeconds.p99)] {
            row("time to assign \(label)", x, y, unit: " s", digits: 1)
        }
        for (x, y) in zip(a.within, b.within) {
            row("within \(x.thresholdSeconds) s", x.share.map { $0 * 100 }, y.share.map { $0 * 100 }, unit: "%", digits: 1)
        }
        row("offers made", Double(a.offers.made), Double(b.offers.made))
        row("offers accepted", Double(a.offers.accepted), Double(b.offers.accepted))
        row("escalations", Double(was.escalations), Double(now.escalations))
        row("relaxations", Double(was.relaxations), Double(now.relaxations))
        row("most waiting", Double(was.waitingLine.map(\.waiting).max() ?? 0), Double(now.waitingLine.map(\.waiting).max() ?? 0))
        row("still waiting at the end", Double(was.stillWaiting), Double(now.stillWaiting))

        var bySource = Table([("SOURCE", .right), ("REQUESTS", .right), ("P90 AS IT WAS", .right), ("P90 WITH CHANGES", .right)])
        for row in was.serviceLevel.bySource {
            let changed = now.serviceLevel.bySource.first { $0.sourceId == row.sourceId }
            bySource.add([row.sourceId.map(String.init) ?? "-", String(row.requests), seconds(row.timeToAssignSeconds.p90),
                          seconds(changed?.timeToAssignSeconds.p90)])
        }
        var byOperator = Table([("OPERATOR", .right), ("NAME", .left), ("BUSY AS IT WAS", .right), ("BUSY WITH CHANGES", .right)])
        let ids = Set(was.utilisation.map(\.operatorId) + now.utilisation.map(\.operatorId)).sorted()
        for id in ids {
            let (x, y) = (was.utilisation.first { $0.operatorId == id }, now.utilisation.first { $0.operatorId == id })
            byOperator.add([String(id), (y ?? x)?.name ?? "", percent(x?.share), percent(y?.share)])
        }
        return """
            Replay of \(report.requests) requests from \(report.since) to \(report.until) (seed \(report.seed))

            \(overall.rendered)

            By source (time to assign p90):
            \(bySource.rendered)

            By operator (share of its limit busy over the window):
            \(byOperator.rendered)
            """
    }

    private func seconds(_ value: Double?) -> String { value.map { String(format: "%.1f s", $0) } ?? "-" }
    private func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
}
