import AMQP
import ArgumentParser
import Foundation
import SwitchboardClient
import SwitchboardCore

@main
struct Switchboardctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboardctl",
        abstract: "Manage a running Switchboard over its control queue or its HTTP API.",
        discussion: """
            Connects to SWITCHBOARD_AMQP_URL with queue names under SWITCHBOARD_PREFIX (the
            same variables as the service; --amqp-url and --prefix override them). With --http
            URL (or SWITCHBOARD_API_URL) the same commands go through the HTTP API instead,
            with --token (or SWITCHBOARD_API_TOKEN); `watch` and `prefix release` need the broker.

            Global options (--amqp-url, --prefix, --timeout, --json, --http, --token) may stand
            before the subcommand too: switchboardctl --json operator list.

            Exit status: 0 done; 1 the service answered with an error; 2 usage error;
            3 the service did not answer in time (or is a standby); 4 the broker or the HTTP
            API cannot be reached.
            `health` exits 1 whenever the service is not healthy.
            """,
        subcommands: [
            OperatorCommand.self, SourceCommand.self, RequestCommand.self, StatsCommand.self, WatchCommand.self,
            HealthCommand.self, PrefixCommand.self, AuditCommand.self, EventsCommand.self, ReplayCommand.self,
        ])

    static func main() {
        do {
            var command = try parseAsRoot(GlobalOptions.hoisted(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data((failure.message + "\n").utf8))
            Foundation.exit(failure.status)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            // Usage errors exit 2, like other Unix tools; ArgumentParser's own default is 64.
            Foundation.exit(code == .validationFailure || code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}

/// A failure the CLI reports itself, with the exit status it means.
struct CLIFailure: Error {
    var message: String
    var status: Int32

    static func replyError(_ error: CommandError) -> CLIFailure {
        var lines = ["error: \(error.code.rawValue): \(error.message)"]
        lines += error.details.map { "  \($0.field): \($0.problem)" }
        return CLIFailure(message: lines.joined(separator: "\n"), status: 1)
    }

    static func notAnswering(_ options: GlobalOptions, _ why: String) -> CLIFailure {
        CLIFailure(
            message: "error: the service is not answering on \(options.door) (\(why))",
            status: 3)
    }

    static func unreachable(_ options: GlobalOptions, _ error: AMQPError) -> CLIFailure {
        let detail = error.description.contains(options.brokers.description) ? "\(error)" : "\(options.brokers.description): \(error)"
        return CLIFailure(message: "error: cannot reach the broker: \(detail)", status: 4)
    }

    /// The HTTP door's failures on the same exit statuses as the control queue's.
    static func overHTTP(_ options: GlobalOptions, _ error: HTTPCallError) -> CLIFailure {
        switch error {
        case .timeout: notAnswering(options, "no answer within \(options.timeout) s")
        case let .unavailable(why): notAnswering(options, why)
        case let .unreachable(why): CLIFailure(message: "error: cannot reach \(options.door): \(why)", status: 4)
        case let .refused(_, code, message): CLIFailure(message: "error: \(code): \(message)", status: 1)
        }
    }
}
