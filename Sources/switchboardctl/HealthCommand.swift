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
            result = try options.call("service.status")
        } catch let failure as CLIFailure {
            throw CLIFailure(message: failure.message, status: 1)
        }
        try options.show(result, as: ServiceStatus.self) { status in
            "\(status.status): version \(status.version), up \(Int(status.uptimeSeconds)) s, \(status.waitingCount) waiting, \(status.outboxPending) events unsent"
        }
        let status = try JSONDecoder().decode(ServiceStatus.self, from: JSONEncoder().encode(result))
        if status.status != "ok" { throw CLIFailure(message: "unhealthy: \(status.status)", status: 1) }
    }
}
