import AMQP
import ArgumentParser
import Foundation
import SwitchboardClient
import SwitchboardCore

/// Options every subcommand takes: where the service is, how long to wait, how to print.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Broker URL, or a cluster's nodes comma-separated (default: SWITCHBOARD_AMQP_URL or amqp://guest:guest@127.0.0.1:5672/%2f).")
    var amqpURL: String?

    @Option(name: .long, help: "Queue and exchange name prefix (default: SWITCHBOARD_PREFIX or switchboard).")
    var prefix: String = ProcessInfo.processInfo.environment["SWITCHBOARD_PREFIX"].flatMap { $0.isEmpty ? nil : $0 } ?? "switchboard"

    @Option(name: .long, help: "Seconds to wait for a reply.")
    var timeout: Double = 5

    @Flag(name: .long, help: "Print the contract's result as JSON, for scripts.")
    var json = false

    var brokers: AMQPBrokers {
        let text = amqpURL ?? ProcessInfo.processInfo.environment["SWITCHBOARD_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f"
        return (try? AMQPBrokers(parsing: text)) ?? AMQPBrokers(AMQPURL())
    }

    func validate() throws {
        let text = amqpURL ?? ProcessInfo.processInfo.environment["SWITCHBOARD_AMQP_URL"] ?? "amqp://"
        do {
            _ = try AMQPBrokers(parsing: text)
        } catch {
            throw ValidationError("\(error)")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    /// Runs a command on the service and returns its result, or throws the CLI failure that
    /// says why not (error reply: 1, no reply: 3, no broker: 4).
    func call(_ command: CommandName, _ args: [String: JSONValue] = [:]) throws -> JSONValue {
        let client = ControlClient(brokers: brokers, prefix: prefix)
        defer { client.close() }
        let reply: ReplyEnvelope
        do {
            reply = try client.call(command.rawValue, args, timeout: .milliseconds(Int64(timeout * 1000)))
        } catch let error as AMQPError {
            if case .timeout = error { throw CLIFailure.notAnswering(self, "no reply within \(timeout) s") }
            // The control exchange is declared by the service: without it, none ever ran here.
            if case .channelClosed(404, _, _) = error { throw CLIFailure.notAnswering(self, "no service has declared it on this broker") }
            throw CLIFailure.unreachable(self, error)
        }
        guard reply.ok else {
            throw CLIFailure.replyError(reply.error ?? CommandError(.internalError, "error reply without details"))
        }
        return reply.result ?? .null
    }

    /// Prints a result: JSON in --json mode, otherwise what `human` makes of it.
    func show<T: Decodable>(_ result: JSONValue, as type: T.Type, _ human: (T) -> String) throws {
        if json {
            print(try Self.prettyJSON(result))
        } else {
            let value = try JSONDecoder().decode(T.self, from: JSONEncoder().encode(result))
            print(human(value))
        }
    }

    /// Moves global options given before the subcommand (`switchboardctl --json operator
    /// list`) after it, where each subcommand's option group reads them, as rabbitmqadmin and
    /// most CLIs allow.
    static func hoisted(_ arguments: [String]) -> [String] {
        let flags: Set<String> = ["--json"]
        let valued: Set<String> = ["--amqp-url", "--prefix", "--timeout"]
        var leading: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            let name = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
            if flags.contains(argument) || (valued.contains(name) && argument.contains("=")) {
                leading.append(argument)
                index += 1
            } else if valued.contains(argument), index + 1 < arguments.endIndex {
                leading += arguments[index...index + 1]
                index += 2
            } else {
                break
            }
        }
        return Array(arguments[index...]) + leading
    }

    static func prettyJSON(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
