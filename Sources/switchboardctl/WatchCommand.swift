import AMQP
import ArgumentParser
import Foundation
import SwitchboardClient
import SwitchboardCore

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Print live events, one line each, until Ctrl-C.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Routing-key pattern, e.g. request.assigned or request.*") var event: String = "#"
    @Option(help: "Stop after this many events.") var count: Int?

    func run() throws {
        try options.needsBroker("watch")
        let watcher: EventWatcher
        do {
            watcher = try EventWatcher(brokers: options.brokers, exchange: Topology(prefix: options.prefix).events, pattern: event)
        } catch {
            throw CLIFailure.unreachable(options, error)
        }
        defer { watcher.close() }
        if !options.json { writeLine("Watching \(Topology(prefix: options.prefix).events) for '\(event)' (Ctrl-C to stop)") }
        var seen = 0
        while count.map({ seen < $0 }) ?? true {
            guard let received = try watcher.next(timeout: .seconds(1)) else { continue }
            seen += 1
            if options.json {
                writeLine(String(decoding: received.body, as: UTF8.self))
            } else {
                writeLine(line(for: received))
            }
        }
    }
}

/// One event as a line: when, what, and the fields a supervisor reads first.
func line(for received: ReceivedEvent) -> String {
    func padded(_ name: String) -> String { name.padding(toLength: 24, withPad: " ", startingAt: 0) }
    if let change = received.presenceChange {
        return "\(change.occurredAt)  \(padded(change.event.rawValue))  operator=\(change.operator.name) (\(change.operator.id))  "
            + "\(change.previousPresence.rawValue) -> \(change.operator.presence.rawValue)  reason=\(change.reason.rawValue)"
    }
    guard let event = received.event else { return "\(received.routingKey)  (unknown event)" }
    let r = event.request
    let op = r.request.operatorId.map { "\(r.operatorName ?? "?") (\($0))" } ?? "-"
    var text = "\(event.occurredAt)  \(padded(event.event.rawValue))  #\(r.request.id)  operator=\(op)  source=\(r.sourceIdentifier)  user=\(r.userIdentifier)"
    if let expires = r.request.offerExpiresAt { text += "  expires=\(expires)" }
    if let route = event.route { text += "  route=\(route.rawValue)" }
    if r.request.priority > 0 { text += "  priority=\(r.request.priority)" }
    if let waited = event.waitedMs { text += "  waited=\(Double(waited) / 1000) s" }
    if let decline = event.decline {
        text += "  declined_by=\(decline.operatorId)  reason=\(decline.reason.rawValue)"
        if let why = decline.rejectionReason { text += " (\(why))" }
    }
    return text
}

/// Writes unbuffered: each event must reach a pipe as it happens, not when a buffer fills.
func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
