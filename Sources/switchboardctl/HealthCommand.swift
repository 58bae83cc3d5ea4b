import ArgumentParser
import Foundation
import SwitchboardCore

struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Ask the service for its status: exit 0 healthy, 1 not (for probes).")
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let result: JSONValue
        do {
            result = try options.call(.serviceStatus)
        } catch let failure as CLIFailure {
            throw CLIFailure(message: failure.message, status: 1)
        }
        try options.show(result, as: ServiceStatus.self) { status in
            "\(status.status): version \(status.version), up \(Int(status.uptimeSeconds)) s, \(status.waitingCount) waiting" + (status.unmatchedWaiting.map { $0 > 0 ? " (\($0) needing a skill nobody has)" : "" } ?? "") + ", \(status.outboxPending) events unsent"
        }
        // Healthy means the service answered "ok"; anything else (a future "degraded") is not.
        guard case let .object(fields) = result, case let .string(status)? = fields["status"] else {
            throw CLIFailure(message: "unhealthy: the status reply has no status", status: 1)
        }
        if status != "ok" { throw CLIFailure(message: "unhealthy: \(status)", status: 1) }
    }
}
