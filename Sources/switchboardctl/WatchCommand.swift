import AMQP
import ArgumentParser
import SwitchboardClient
import SwitchboardCore

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Print live events, one line each, until Ctrl-C.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Routing-key pattern, e.g. request.assigned or request.*") var event: String = "#"
    @Option(help: "Stop after this many events.") var count: Int?

    func run() throws {
        let watcher: EventWatcher
        do {
            watcher = try EventWatcher(url: options.url, exchange: Topology(prefix: options.prefix).events, pattern: event)
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
                let r = received.event.request
                let op = r.request.operatorId.map { "\(r.operatorName ?? "?") (\($0))" } ?? "-"
                writeLine("\(received.event.occurredAt)  \(received.event.event.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0))  #\(r.request.id)  operator=\(op)  source=\(r.sourceIdentifier)  user=\(r.userIdentifier)")
            }
        }
    }
}

import Foundation

/// Writes unbuffered: each event must reach a pipe as it happens, not when a buffer fills.
func writeLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
