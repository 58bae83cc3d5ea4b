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

    @Option(name: .long, help: "Call the HTTP API at this base URL instead of the control queue, e.g. http://127.0.0.1:8080 (default: SWITCHBOARD_API_URL).")
    var http: String?

    @Option(name: .long, help: "Bearer token for --http, one of SWITCHBOARD_API_TOKENS (default: SWITCHBOARD_API_TOKEN).")
    var token: String?

    /// The HTTP API's address when calls go that way, else nil (the control queue).
    var httpURL: URL? {
        guard let text = http ?? ProcessInfo.processInfo.environment["SWITCHBOARD_API_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return URL(string: text)
    }

    var apiToken: String? { token ?? ProcessInfo.processInfo.environment["SWITCHBOARD_API_TOKEN"] }

    /// Where commands go, for messages: the control queue on the broker, or the API's URL.
    var door: String {
        httpURL.map { "the HTTP API at \($0.absoluteString)" } ?? "'\(prefix).control' at \(brokers.description)"
    }

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
        if let text = http ?? ProcessInfo.processInfo.environment["SWITCHBOARD_API_URL"], !text.isEmpty {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("--http (or SWITCHBOARD_API_URL) must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080; got '\(text)'")
            }
        } else if token != nil {
            throw ValidationError("--token goes with --http: the control queue knows callers by their broker user")
        }
    }

    /// Refuses a subcommand that only the broker can serve when --http is given.
    func needsBroker(_ what: String) throws {
        if httpURL != nil {
            throw CLIFailure(message: "error: \(what) reads from the broker, which --http does not reach; use --amqp-url", status: 2)
        }
    }

    /// Runs a command on the service and returns its result, or throws the CLI failure that
    /// says why not (error reply: 1, no reply: 3, no broker or HTTP server: 4).
    func call(_ command: CommandName, _ args: [String: JSONValue] = [:]) throws -> JSONValue {
        let reply = try httpURL.map { try callOverHTTP($0, command, args) } ?? callOverAMQP(command, args)
        guard reply.ok else {
            throw CLIFailure.replyError(reply.error ?? CommandError(.internalError, "error reply without details"))
        }
        return reply.result ?? .null
    }

    var waitLimit: Duration { .milliseconds(Int64(timeout * 1000)) }

    private func callOverAMQP(_ command: CommandName, _ args: [String: JSONValue]) throws -> ReplyEnvelope {
        let client = ControlClient(brokers: brokers, prefix: prefix)
        defer { client.close() }
        do {
            return try client.call(command.rawValue, args, timeout: waitLimit)
        } catch let error as AMQPError {
            if case .timeout = error { throw CLIFailure.notAnswering(self, "no reply within \(timeout) s") }
            // The control exchange is declared by the service: without it, none ever ran here.
            if case .channelClosed(404, _, _) = error { throw CLIFailure.notAnswering(self, "no service has declared it on this broker") }
            throw CLIFailure.unreachable(self, error)
        }
    }

    private func callOverHTTP(_ url: URL, _ command: CommandName, _ args: [String: JSONValue]) throws -> ReplyEnvelope {
        do {
            return try HTTPControlClient(base: url, token: apiToken).call(command.rawValue, args, timeout: waitLimit)
        } catch {
            throw CLIFailure.overHTTP(self, error)
        }
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
        let valued: Set<String> = ["--amqp-url", "--prefix", "--timeout", "--http", "--token"]
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
