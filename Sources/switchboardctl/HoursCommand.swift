import ArgumentParser
import Foundation
import SwitchboardCore

/// `--hours FILE|none`, which `source create` and `source update` both take.
struct SourceHoursOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Working hours: a JSON file ({\"time_zone\": …, \"weekly\": […], \"closed_on\": […]}), or none for always open.",
        valueName: "FILE|none"))
    var hours: String?

    var isEmpty: Bool { hours == nil }

    func add(to args: inout [String: JSONValue]) throws {
        guard let hours else { return }
        if hours == "none" {
            args["hours"] = .null
            return
        }
        guard let data = FileManager.default.contents(atPath: hours) else {
            throw ValidationError("--hours: cannot read \(hours) (a JSON file, or none)")
        }
        do {
            args["hours"] = try JSONParser.parse(Array(data))
        } catch {
            throw ValidationError("--hours: \(hours) is not JSON: \(error)")
        }
    }
}

extension SourceCommand {
    struct Hours: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a source's open ranges this week, in its time zone, and when it next opens or closes.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Source id.") var id: Int64

        func run() throws {
            try options.show(try options.call(.sourceGet, ["id": .integer(id)]), as: Source.self, describeHours)
        }
    }
}

func describeHours(_ source: Source) -> String {
    guard let hours = source.hours else { return "Source \(source.id) (\(source.identifier)) has no working hours: always open." }
    let next = source.nextChangeAt.map { " until \($0)" } ?? ""
    var lines = ["Source \(source.id) (\(source.identifier)): \(source.openNow ? "open" : "closed")\(next); times in \(hours.timeZone)."]
    for day in hours.week(of: .now()) {
        let ranges = day.closedOn ? "closed (closed_on)" : day.ranges.isEmpty ? "closed" : day.ranges.map { "\($0.open)–\($0.close)" }.joined(separator: ", ")
        lines.append("  \(day.weekday.rawValue) \(day.date)  \(ranges)")
    }
    return lines.joined(separator: "\n")
}

/// A source's hours in one table cell.
func hoursText(_ source: Source) -> String {
    guard source.hours != nil else { return "-" }
    return (source.openNow ? "open" : "closed") + (source.nextChangeAt.map { " until \($0)" } ?? "")
}
