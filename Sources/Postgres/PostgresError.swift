/// Everything that can go wrong talking to PostgreSQL, each case saying what failed in words
/// an operator can act on (`23505 duplicate key value violates unique constraint "users_identifier"`).
public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No session: the server could not be reached, refused the login, or the session was lost
    /// (the server restarted, the backend was terminated, the network failed).
    case connection(String)
    /// The server ran the statement and refused it; `sqlState` is its five-character code.
    case server(sqlState: String, message: String, detail: String?)
    /// A call this library cannot make as asked (text holding U+0000, which PostgreSQL's
    /// text type cannot store): a mistake in the calling code, so retrying would not help.
    case usage(String)

    public var description: String {
        switch self {
        case let .connection(why): "PostgreSQL session unavailable: \(why)"
        case let .server(sqlState, message, detail): "PostgreSQL refused the statement: \(sqlState) \(message)\(detail.map { " (\($0))" } ?? "")"
        case let .usage(what): "misuse of the PostgreSQL connection: \(what)"
        }
    }

    /// Whether the session is gone, so that the connection must be replaced. Besides a lost
    /// socket, the server says so with class 08 (connection exception) and 57P01–57P03
    /// (terminated by an administrator, a crash or a shutdown).
    public var isConnectionFatal: Bool {
        switch self {
        case .connection: true
        case let .server(sqlState, _, _): sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
        case .usage: false
        }
    }

    /// The SQLSTATE of a server refusal, nil otherwise.
    public var sqlState: String? {
        if case let .server(sqlState, _, _) = self { sqlState } else { nil }
    }
}
