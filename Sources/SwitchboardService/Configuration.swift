import AMQP
import Foundation
import Logging
import SwitchboardCore
import SwitchboardStore

/// Everything the service can be told, from the environment (the contract's variables) with
/// defaults that make a local run work with nothing set.
public struct SwitchboardServiceConfiguration: Sendable {
    public enum QueueType: String, Sendable, CaseIterable {
        case quorum, classic
    }

    /// The broker's nodes; the service connects to one and moves on when it fails.
    public var brokers: AMQPBrokers
    /// SWITCHBOARD_DB as given: a SQLite file's path, or a PostgreSQL URL (``storeLocation``).
    public var databasePath: String
    public var prefix: String
    public var queueType: QueueType
    /// Most deliveries applied in one transaction.
    public var batchSize: Int
    /// Unacked deliveries the broker may send ahead; at least the batch size.
    public var prefetch: Int
    public var heartbeatSeconds: Int32
    public var logLevel: Logger.Level
    /// Longest pause between reconnection attempts.
    public var maxReconnectDelay: Duration
    /// Offers in a row an operator may let expire before being set away; 0: never.
    public var awayAfterMissed: Int
    /// Who may run which command, by broker user; open when no role lists anyone.
    public var access = AccessPolicy.open
    /// Role variables that had blank entries (dropped), for a warning at start.
    public var rolesWithBlanks: [ConfigurationVariable] = []
    /// Where the HTTP side (probes, metrics, dashboard) listens; nil: off.
    public var http: HTTPAddress? = HTTPAddress(host: "127.0.0.1", port: 8080)
    /// When set, the dashboard, its feed and /metrics require `Authorization: Bearer <token>`.
    public var httpToken: String?
    /// The HTTP API's users by token; empty: calls carry no user.
    public var apiTokens = APITokens()
    /// Largest HTTP API request body, in bytes.
    public var httpBodyLimit = 262_144
    /// Operators with series of their own in /metrics, lowest ids first: bounds the label set.
    public var metricsMaxOperators = 1_000
    /// How long a processed message id is remembered, so that a repeat is not processed twice.
    public var dedupeWindow: Duration = .seconds(7 * 86_400)
    /// How long closed requests are kept before they are archived and deleted; nil: forever.
    public var retainClosed: Duration?
    /// The weighted draw's seed, so that choices repeat; nil: a new one from the system each start.
    public var randomSeed: UInt64?
    /// How long audit rows are kept; nil: forever.
    public var retainAudit: Duration?
    /// Where purged requests are archived; nil: `archive/` beside the database.
    public var archiveDirectory: String?
    /// How long an event the broker refuses is published again before it is set aside.
    public var eventRetryFor: Duration = .seconds(15 * 60)
    /// The executable each `replay.run` starts as its worker (``ReplayWorker``): this very
    /// one. A test that runs the service inside its own process names the built `switchboard`.
    public var replayWorkerExecutable = "/proc/self/exe"

    /// Where the store is: never log ``databasePath`` itself, which may hold a password.
    public var storeLocation: StoreLocation { StoreLocation(databasePath) }

    public init(
        brokers: AMQPBrokers = AMQPBrokers(AMQPURL()), databasePath: String = "./data/switchboard.sqlite", prefix: String = "switchboard",
        queueType: QueueType = .quorum, batchSize: Int = 256, prefetch: Int = 512, heartbeatSeconds: Int32 = 30,
        logLevel: Logger.Level = .info, maxReconnectDelay: Duration = .seconds(5), awayAfterMissed: Int = 3
    ) {
        self.brokers = brokers
        self.databasePath = databasePath
        self.prefix = prefix
        self.queueType = queueType
        self.batchSize = batchSize
        self.prefetch = max(prefetch, batchSize)
        self.heartbeatSeconds = heartbeatSeconds
        self.logLevel = logLevel
        self.maxReconnectDelay = maxReconnectDelay
        self.awayAfterMissed = awayAfterMissed
    }

    /// Reads the environment; a bad value is an error naming the variable.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> SwitchboardServiceConfiguration {
        var configuration = SwitchboardServiceConfiguration()
        func value(_ variable: ConfigurationVariable) -> String? {
            environment[variable.name].flatMap { $0.isEmpty ? nil : $0 }
        }
        func integer(_ name: ConfigurationVariable, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw ConfigurationError(variable: name, problem: "must be an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
            }
            return number
        }
        func period(_ name: ConfigurationVariable) throws(ConfigurationError) -> Duration? {
            guard let text = value(name) else { return nil }
            guard let period = Duration(period: text), period > .zero else {
                throw ConfigurationError(variable: name, problem: "must be a whole number and a unit, s, m, h or d (as in 7d or 36h), got \"\(text)\"")
            }
            return period
        }
        if let url = value(.amqpURL) {
            do {
                configuration.brokers = try AMQPBrokers(parsing: url)
            } catch {
                throw ConfigurationError(variable: .amqpURL, problem: "is not a broker URL: \(error.description)")
            }
        }
        if let path = value(.db) { configuration.databasePath = path }
        if let prefix = value(.prefix) { configuration.prefix = prefix }
        if let type = value(.queueType) {
            guard let parsed = QueueType(rawValue: type) else {
                throw ConfigurationError(variable: .queueType, problem: "must be quorum or classic, got \"\(type)\"")
            }
            configuration.queueType = parsed
        }
        if let batch = try integer(.batchSize, 1...10_000) { configuration.batchSize = batch }
        if let prefetch = try integer(.prefetch, 1...65_535) { configuration.prefetch = prefetch }
        configuration.prefetch = max(configuration.prefetch, configuration.batchSize)
        if let heartbeat = try integer(.heartbeat, 0...3_600) { configuration.heartbeatSeconds = Int32(heartbeat) }
        if let missed = try integer(.awayAfterMissed, 0...1_000) { configuration.awayAfterMissed = missed }
        if let window = try period(.dedupeWindow) { configuration.dedupeWindow = window }
        if value(.retainClosed) != "off" { configuration.retainClosed = try period(.retainClosed) }
        if value(.retainAudit) != "off" { configuration.retainAudit = try period(.retainAudit) }
        configuration.archiveDirectory = value(.archiveDir)
        if let text = value(.eventRetryFor) {
            guard let retryFor = text == "0" ? .zero : Duration(period: text), !text.hasSuffix("d") else {
                throw ConfigurationError(variable: .eventRetryFor,
                                         problem: "must be 0 or a whole number and a unit, s, m or h (as in 15m or 90s), got \"\(text)\"")
            }
            configuration.eventRetryFor = retryFor
        }
        let admins = AccessPolicy.users(environment[ConfigurationVariable.adminUsers.name])
        let consoles = AccessPolicy.users(environment[ConfigurationVariable.consoleUsers.name])
        configuration.access = AccessPolicy(admins: admins.users, consoles: consoles.users)
        configuration.rolesWithBlanks = [(ConfigurationVariable.adminUsers, admins.blanks), (.consoleUsers, consoles.blanks)]
            .filter { $0.1 > 0 }.map(\.0)
        if let http = value(.http) {
            if http == "off" {
                configuration.http = nil
            } else {
                guard let address = HTTPAddress(parsing: http) else {
                    throw ConfigurationError(variable: .http, problem: "must be host:port (port 0 to 65535) or off, got \"\(http)\"")
                }
                configuration.http = address
            }
        }
        configuration.httpToken = value(.httpToken)
        if let text = value(.apiTokens) {
            switch APITokens.parse(text) {
            case let .success(tokens): configuration.apiTokens = tokens
            case let .failure(problem): throw ConfigurationError(variable: .apiTokens, problem: "\(problem.field) \(problem.problem)")
            }
        }
        if let limit = try integer(.httpBodyLimit, 1_024...16_777_216) { configuration.httpBodyLimit = limit }
        if let text = value(.randomSeed) {
            guard let seed = UInt64(text) else {
                throw ConfigurationError(variable: .randomSeed, problem: "must be a whole number from 0 to \(UInt64.max), or unset (production), got \"\(text)\"")
            }
            configuration.randomSeed = seed
        }
        if let most = try integer(.metricsMaxOperators, 0...1_000_000) { configuration.metricsMaxOperators = most }
        if let level = value(.logLevel) {
            guard let parsed = Logger.Level(rawValue: level) else {
                throw ConfigurationError(variable: .logLevel, problem: "must be trace, debug, info, notice, warning, error or critical, got \"\(level)\"")
            }
            configuration.logLevel = parsed
        }
        return configuration
    }
}

/// A listen address: `host:port`, `[ipv6]:port`, or `:port` for every interface's loopback
/// default (127.0.0.1). Port 0 asks the system for a free one (tests).
public struct HTTPAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A setting the service cannot start with: the variable, what is wrong, and a way on. The
/// executable exits with status 78 (EX_CONFIG) on one, so a supervisor can tell it from a crash.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var variable: ConfigurationVariable
    public var problem: String

    public init(variable: ConfigurationVariable, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var wayOn: String {
        let fallback = variable.defaultValue.isEmpty ? "leave it unset" : "unset it for the default (\(variable.defaultValue))"
        return "set \(variable.name) to such a value, or \(fallback); switchboard --help lists every variable"
    }

    public var description: String { "\(variable.name) \(problem) — \(wayOn)" }
}
