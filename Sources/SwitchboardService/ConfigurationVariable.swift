/// Every variable the service reads, with its default and meaning: the one list that
/// ``SwitchboardServiceConfiguration/fromEnvironment(_:)`` reads, `switchboard --help` prints
/// and docs/configuration.md is checked against.
public enum ConfigurationVariable: String, CaseIterable, Sendable {
    case amqpURL = "SWITCHBOARD_AMQP_URL"
    case db = "SWITCHBOARD_DB"
    case prefix = "SWITCHBOARD_PREFIX"
    case queueType = "SWITCHBOARD_QUEUE_TYPE"
    case batchSize = "SWITCHBOARD_BATCH_SIZE"
    case prefetch = "SWITCHBOARD_PREFETCH"
    case heartbeat = "SWITCHBOARD_HEARTBEAT"
    case logLevel = "SWITCHBOARD_LOG_LEVEL"
    case awayAfterMissed = "SWITCHBOARD_AWAY_AFTER_MISSED"
    case adminUsers = "SWITCHBOARD_ADMIN_USERS"
    case consoleUsers = "SWITCHBOARD_CONSOLE_USERS"
    case http = "SWITCHBOARD_HTTP"
    case httpToken = "SWITCHBOARD_HTTP_TOKEN"
    case apiTokens = "SWITCHBOARD_API_TOKENS"
    case httpBodyLimit = "SWITCHBOARD_HTTP_BODY_LIMIT"
    case metricsMaxOperators = "SWITCHBOARD_METRICS_MAX_OPERATORS"
    case dedupeWindow = "SWITCHBOARD_DEDUPE_WINDOW"
    case retainClosed = "SWITCHBOARD_RETAIN_CLOSED"
    case retainAudit = "SWITCHBOARD_RETAIN_AUDIT"
    case archiveDir = "SWITCHBOARD_ARCHIVE_DIR"
    case eventRetryFor = "SWITCHBOARD_EVENT_RETRY_FOR"
    case randomSeed = "SWITCHBOARD_RANDOM_SEED"

    public var name: String { rawValue }

    /// The default as `--help` and the docs show it; empty: unset.
    public var defaultValue: String {
        switch self {
        case .amqpURL: "amqp://guest:guest@127.0.0.1:5672/%2f"
        case .db: "./data/switchboard.sqlite"
        case .prefix: "switchboard"
        case .queueType: "quorum"
        case .batchSize: "256"
        case .prefetch: "512"
        case .heartbeat: "30"
        case .logLevel: "info"
        case .awayAfterMissed: "3"
        case .adminUsers, .consoleUsers, .httpToken, .apiTokens, .randomSeed: ""
        case .httpBodyLimit: "262144"
        case .http: "127.0.0.1:8080"
        case .metricsMaxOperators: "1000"
        case .dedupeWindow: "7d"
        case .retainClosed, .retainAudit: "off"
        case .archiveDir: "archive/ beside the database"
        case .eventRetryFor: "15m"
        }
    }

    public var meaning: String {
        switch self {
        case .amqpURL: "broker URL, or the nodes of a cluster as a comma-separated list; amqps:// for TLS, with ?cacertfile=, certfile=, keyfile=, verify="
        case .db: "SQLite database file (created, migrated on start), or a PostgreSQL database as postgres://user:pass@host:port/db"
        case .prefix: "prefix of every queue and exchange name"
        case .queueType: "type of the two consumed queues: quorum or classic"
        case .batchSize: "most deliveries applied in one transaction"
        case .prefetch: "unacked deliveries the broker may send ahead (at least the batch size)"
        case .heartbeat: "AMQP heartbeat in seconds (0 disables)"
        case .logLevel: "trace, debug, info, notice, warning, error or critical"
        case .awayAfterMissed: "offers in a row an operator may let expire before being set away (0: never)"
        case .adminUsers: "broker users who may run every command (comma-separated)"
        case .consoleUsers: "broker users who may read and answer for operators: presence, accept, reject, close"
        case .http: "HTTP listen address for /healthz, /readyz, /metrics and the dashboard; off disables"
        case .httpToken: "when set, the dashboard, its feed and /metrics require Authorization: Bearer <token>"
        case .apiTokens: "the HTTP API's users: comma-separated user:token pairs; a call's Authorization: Bearer <token> makes it that user's, whose role comes from the role variables"
        case .httpBodyLimit: "largest HTTP API request body in bytes; a larger one is refused with 413"
        case .metricsMaxOperators: "operators with series of their own in /metrics (lowest ids first)"
        case .dedupeWindow: "how long a processed message id is remembered against repeats (units s, m, h, d)"
        case .retainClosed: "how long closed requests are kept before they are archived and deleted (units s, m, h, d; off: forever)"
        case .retainAudit: "how long audit rows and the presence record are kept before they are deleted (units s, m, h, d; off: forever)"
        case .archiveDir: "where purged requests are archived, a gzip'd NDJSON file a day"
        case .eventRetryFor: "how long an event the broker refuses is published again before it is set aside (units s, m, h; 0: set aside at once)"
        case .randomSeed: "seed of the weighted draw, so that a run's choices repeat (tests, the what-if replay's fidelity); unset in production"
        }
    }

    /// The variables as `switchboard --help` lists them.
    public static var help: String {
        allCases.map { "\($0.name)=\($0.defaultValue)\n    \($0.meaning)" }.joined(separator: "\n")
    }
}
