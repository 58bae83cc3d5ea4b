import Foundation
import SwitchboardCore

/// `switchboardctl replay --html`: the report as one self-contained page, its charts drawn
/// here as SVG (no script, no network): the waiting line of both runs over the window, both
/// time-to-assign distributions, and each operator's busy share.
struct ReplayPage {
    let report: ReplayReport
    init(_ report: ReplayReport) { self.report = report }

    static let colours = (was: "#5b7db1", now: "#e07b39")

    var html: String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Switchboard replay \(escaped(report.since.description))</title>
        <style>
        body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }
        h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
        pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
        .key span { display: inline-block; width: 1em; height: .7em; margin: 0 .3em 0 1em; }
        svg text { font-size: 11px; fill: #444; }
        </style></head><body>
        <h1>What-if replay: \(report.requests) requests, \(escaped(report.since.description)) to \(escaped(report.until.description))</h1>
        <p class="key">Seed \(report.seed).<span style="background:\(Self.colours.was)"></span>as it was
        <span style="background:\(Self.colours.now)"></span>with the changes</p>
        <pre>\(escaped(ReplayTables(report).rendered))</pre>
        <h2>Requests waiting, the most in each minute</h2>
        \(waitingLine)
        <h2>Time to assign (seconds)</h2>
        \(timeToAssign)
        <h2>Busy share of each operator's limit</h2>
        \(utilisation)
        </body></html>
        """
    }

    private var waitingLine: String {
        let (was, now) = (report.asItWas.waitingLine, report.withChanges.waitingLine)
        let (width, height, left, bottom) = (900.0, 220.0, 40.0, 20.0)
        let most = Double(max(1, (was + now).map(\.waiting).max() ?? 1))
        let count = Double(max(1, max(was.count, now.count) - 1))
        func line(_ points: [ReplayOutcome.WaitingPoint], _ colour: String) -> String {
            let coordinates = points.enumerated().map { index, point in
                String(format: "%.1f,%.1f", left + Double(index) / count * (width - left), (height - bottom) * (1 - Double(point.waiting) / most))
            }
            return #"<polyline fill="none" stroke="\#(colour)" stroke-width="1.5" points="\#(coordinates.joined(separator: " "))"/>"#
        }
        let hours = stride(from: 0, to: max(was.count, now.count), by: 60).map { index -> String in
            let x = left + Double(index) / count * (width - left)
            let label = String((was.count > index ? was[index].at : now[index].at).description.dropFirst(11).prefix(5))
            return #"<text x="\#(x)" y="\#(height - 4)">\#(label)</text>"#
        }
        return """
            <svg viewBox="0 0 \(Int(width)) \(Int(height))" width="100%" role="img" aria-label="waiting line">
            <text x="0" y="12">\(Int(most))</text><text x="0" y="\(Int(height - bottom))">0</text>
            \(hours.joined())\(line(was, Self.colours.was))\(line(now, Self.colours.now))
            </svg>
            """
    }

    private var timeToAssign: String {
        let (a, b) = (report.asItWas.serviceLevel.overall.timeToAssignSeconds, report.withChanges.serviceLevel.overall.timeToAssignSeconds)
        let pairs: [(String, Double?, Double?)] = [("mean", a.mean, b.mean), ("p50", a.p50, b.p50), ("p90", a.p90, b.p90),
                                                   ("p99", a.p99, b.p99), ("max", a.max, b.max)]
        let most = max(0.001, pairs.flatMap { [$0.1 ?? 0, $0.2 ?? 0] }.max() ?? 1)
        let (height, bar) = (200.0, 28.0)
        let bars = pairs.enumerated().map { index, pair -> String in
            let x = 40 + Double(index) * 170
            func rect(_ value: Double?, _ offset: Double, _ colour: String) -> String {
                let h = (value ?? 0) / most * (height - 40)
                return #"<rect x="\#(x + offset)" y="\#(height - 20 - h)" width="\#(bar)" height="\#(h)" fill="\#(colour)"/>"#
                    + #"<text x="\#(x + offset)" y="\#(height - 24 - h)">\#(value.map { String(format: "%.1f", $0) } ?? "-")</text>"#
            }
            return rect(pair.1, 0, Self.colours.was) + rect(pair.2, bar + 4, Self.colours.now)
                + #"<text x="\#(x)" y="\#(height - 4)">\#(pair.0)</text>"#
        }
        return #"<svg viewBox="0 0 900 \#(Int(height))" width="100%" role="img" aria-label="time to assign">\#(bars.joined())</svg>"#
    }

    private var utilisation: String {
        let ids = Set(report.asItWas.utilisation.map(\.operatorId) + report.withChanges.utilisation.map(\.operatorId)).sorted()
        let rowHeight = 22.0
        let rows = ids.enumerated().map { index, id -> String in
            let was = report.asItWas.utilisation.first { $0.operatorId == id }
            let now = report.withChanges.utilisation.first { $0.operatorId == id }
            let y = Double(index) * rowHeight
            func bar(_ share: Double?, _ offset: Double, _ colour: String) -> String {
                #"<rect x="200" y="\#(y + offset)" width="\#(min(1, share ?? 0) * 600)" height="8" fill="\#(colour)"/>"#
            }
            let label = escaped("\(id) \((now ?? was)?.name ?? "")")
            let figures = "\(percent(was?.share)) → \(percent(now?.share))"
            return #"<text x="0" y="\#(y + 14)">\#(label)</text>"# + bar(was?.share, 2, Self.colours.was) + bar(now?.share, 11, Self.colours.now)
                + #"<text x="810" y="\#(y + 14)">\#(figures)</text>"#
        }
        let height = Int(Double(max(1, ids.count)) * rowHeight)
        return #"<svg viewBox="0 0 960 \#(height)" width="100%" role="img" aria-label="utilisation">\#(rows.joined())</svg>"#
    }

    private func percent(_ share: Double?) -> String { share.map { String(format: "%.0f%%", $0 * 100) } ?? "-" }

    private func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
