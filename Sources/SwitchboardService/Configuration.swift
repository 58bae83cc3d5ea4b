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
    public var rolesWithBlanks: [String] = []
    /// Where the HTTP side (probes, metrics, dashboard) listens; nil: off.
    public var http: HTTPAddress? = HTTPAddress(host: "127.0.0.1", port: 8080)
    /// When set, the dashboard, its feed and /metrics require `Authorization: Bearer <token>`.
    public var httpToken: String?
    /// Operators with series of their own in /metrics, lowest ids first: bounds the label set.
    public var metricsMaxOperators = 1_000
    /// How long a processed message id is remembered, so that a repeat is not processed twice.
    public var dedupeWindow: Duration = .seconds(7 * 86_400)
    /// How long closed requests are kept before they are archived and deleted; nil: forever.
    public var retainClosed: Duration?
    /// How long audit rows are kept; nil: forever.
    public var retainAudit: Duration?
    /// Where purged requests are archived; nil: `archive/` beside the database.
    public var archiveDirectory: String?

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

    /// The variables, their defaults and meanings, as `--help` lists them.
    public static let variables: [(name: String, defaultValue: String, meaning: String)] = [
        ("SWITCHBOARD_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f", "broker URL, or the nodes of a cluster as a comma-separated list; amqps:// for TLS, with ?cacertfile=, certfile=, keyfile=, verify="),
        ("SWITCHBOARD_DB", "./data/switchboard.sqlite", "SQLite database file (created, migrated on start)"),
        ("SWITCHBOARD_PREFIX", "switchboard", "prefix of every queue and exchange name"),
        ("SWITCHBOARD_QUEUE_TYPE", "quorum", "type of the two consumed queues: quorum or classic"),
        ("SWITCHBOARD_BATCH_SIZE", "256", "most deliveries applied in one transaction"),
        ("SWITCHBOARD_PREFETCH", "512", "unacked deliveries the broker may send ahead (at least the batch size)"),
        ("SWITCHBOARD_HEARTBEAT", "30", "AMQP heartbeat in seconds (0 disables)"),
        ("SWITCHBOARD_LOG_LEVEL", "info", "trace, debug, info, notice, warning, error or critical"),
        ("SWITCHBOARD_AWAY_AFTER_MISSED", "3", "offers in a row an operator may let expire before being set away (0: never)"),
        ("SWITCHBOARD_ADMIN_USERS", "", "broker users who may run every command (comma-separated)"),
        ("SWITCHBOARD_CONSOLE_USERS", "", "broker users who may read and answer for operators: presence, accept, reject, close"),
        ("SWITCHBOARD_HTTP", "127.0.0.1:8080", "HTTP listen address for /healthz, /readyz, /metrics and the dashboard; off disables"),
        ("SWITCHBOARD_HTTP_TOKEN", "", "when set, the dashboard, its feed and /metrics require Authorization: Bearer <token>"),
        ("SWITCHBOARD_METRICS_MAX_OPERATORS", "1000", "operators with series of their own in /metrics (lowest ids first)"),
        ("SWITCHBOARD_DEDUPE_WINDOW", "7d", "how long a processed message id is remembered against repeats (units s, m, h, d)"),
        ("SWITCHBOARD_RETAIN_CLOSED", "off", "how long closed requests are kept before they are archived and deleted (units s, m, h, d; off: forever)"),
        ("SWITCHBOARD_RETAIN_AUDIT", "off", "how long audit rows are kept before they are deleted (units s, m, h, d; off: forever)"),
        ("SWITCHBOARD_ARCHIVE_DIR", "archive/ beside the database", "where purged requests are archived, a gzip'd NDJSON file a day"),
    ]

    /// Reads the environment; a bad value is an error naming the variable.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SwitchboardServiceConfiguration {
        var configuration = SwitchboardServiceConfiguration()
        func value(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw ConfigurationError(variable: name, problem: "must be an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
            }
            return number
        }
        func period(_ name: String) throws -> Duration? {
            guard let text = value(name) else { return nil }
            guard let period = Duration(period: text), period > .zero else {
                throw ConfigurationError(variable: name, problem: "must be a whole number and a unit, s, m, h or d (as in 7d or 36h), got \"\(text)\"")
            }
            return period
        }
        if let url = value("SWITCHBOARD_AMQP_URL") {
            do {
                configuration.brokers = try AMQPBrokers(parsing: url)
            } catch {
                throw ConfigurationError(variable: "SWITCHBOARD_AMQP_URL", problem: error.description)
            }
        }
        if let path = value("SWITCHBOARD_DB") { configuration.databasePath = path }
        if let prefix = value("SWITCHBOARD_PREFIX") { configuration.prefix = prefix }
        if let type = value("SWITCHBOARD_QUEUE_TYPE") {
            guard let parsed = QueueType(rawValue: type) else {
                throw ConfigurationError(variable: "SWITCHBOARD_QUEUE_TYPE", problem: "must be quorum or classic, got \"\(type)\"")
            }
            configuration.queueType = parsed
        }
        if let batch = try integer("SWITCHBOARD_BATCH_SIZE", 1...10_000) { configuration.batchSize = batch }
        if let prefetch = try integer("SWITCHBOARD_PREFETCH", 1...65_535) { configuration.prefetch = prefetch }
        configuration.prefetch = max(configuration.prefetch, configuration.batchSize)
        if let heartbeat = try integer("SWITCHBOARD_HEARTBEAT", 0...3_600) { configuration.heartbeatSeconds = Int32(heartbeat) }
        if let missed = try integer("SWITCHBOARD_AWAY_AFTER_MISSED", 0...1_000) { configuration.awayAfterMissed = missed }
        if let window = try period("SWITCHBOARD_DEDUPE_WINDOW") { configuration.dedupeWindow = window }
        if value("SWITCHBOARD_RETAIN_CLOSED") != "off" { configuration.retainClosed = try period("SWITCHBOARD_RETAIN_CLOSED") }
        if value("SWITCHBOARD_RETAIN_AUDIT") != "off" { configuration.retainAudit = try period("SWITCHBOARD_RETAIN_AUDIT") }
        configuration.archiveDirectory = value("SWITCHBOARD_ARCHIVE_DIR")
        let admins = AccessPolicy.users(environment["SWITCHBOARD_ADMIN_USERS"])
        let consoles = AccessPolicy.users(environment["SWITCHBOARD_CONSOLE_USERS"])
        configuration.access = AccessPolicy(admins: admins.users, consoles: consoles.users)
        configuration.rolesWithBlanks = [("SWITCHBOARD_ADMIN_USERS", admins.blanks), ("SWITCHBOARD_CONSOLE_USERS", consoles.blanks)]
            .filter { $0.1 > 0 }.map(\.0)
        if let http = value("SWITCHBOARD_HTTP") {
            if http == "off" {
                configuration.http = nil
            } else {
                guard let address = HTTPAddress(parsing: http) else {
                    throw ConfigurationError(variable: "SWITCHBOARD_HTTP", problem: "must be host:port (port 0 to 65535) or off, got \"\(http)\"")
                }
                configuration.http = address
            }
        }
        configuration.httpToken = value("SWITCHBOARD_HTTP_TOKEN")
        if let most = try integer("SWITCHBOARD_METRICS_MAX_OPERATORS", 0...1_000_000) { configuration.metricsMaxOperators = most }
        if let level = value("SWITCHBOARD_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level) else {
                throw ConfigurationError(variable: "SWITCHBOARD_LOG_LEVEL", problem: "unknown level \"\(level)\"")
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

public struct ConfigurationError: Error, CustomStringConvertible {
    public var variable: String
    public var problem: String
    public var description: String { "\(variable) \(problem)" }
}
