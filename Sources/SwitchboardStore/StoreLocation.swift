import Postgres

/// Where the store keeps its state: a SQLite file (the default, for one machine) or a
/// PostgreSQL database that standby instances on other machines share. `SWITCHBOARD_DB`
/// names it: a `postgres://` or `postgresql://` URL, or else a file path.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case file(path: String)
    case postgres(url: String)

    public init(_ setting: String) {
        self = setting.hasPrefix("postgres://") || setting.hasPrefix("postgresql://") ? .postgres(url: setting) : .file(path: setting)
    }

    /// The setting it was read from (`SWITCHBOARD_DB`), password and all: for a process of
    /// the service's own, never for a log.
    public var setting: String {
        switch self {
        case let .file(path): path
        case let .postgres(url): url
        }
    }

    /// The path, or the URL with its password hidden: for logs and messages.
    public var description: String {
        switch self {
        case let .file(path): path
        case let .postgres(url): PostgresConnection.redacted(url)
        }
    }
}
