import CLibPQ
#if canImport(Glibc)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#elseif canImport(Darwin)
import Darwin
#endif

/// One PostgreSQL session through libpq, used from one thread at a time (the store's writer,
/// or a reader): every call blocks until the server answers, as the writer's model wants.
///
/// Statements are prepared once per session and kept by their text, as SQLite's cached
/// statements are. ``pipeline(_:)`` sends many statements in one round trip.
public final class PostgresConnection {
    private let connection: OpaquePointer
    /// Prepared statement names by SQL text.
    private var prepared: [String: String] = [:]
    /// The URL with its password hidden, for messages and logs.
    public let displayURL: String

    /// Opens a session. `connectTimeoutSeconds` bounds the connect; TCP keepalives and a user
    /// timeout let a call on a session whose server vanished fail within seconds instead of
    /// waiting on the kernel's defaults (minutes).
    public init(url: String, applicationName: String = "switchboard", connectTimeoutSeconds: Int = 5) throws(PostgresError) {
        displayURL = Self.redacted(url)
        let options: [(String, String)] = [
            ("dbname", url), ("application_name", applicationName), ("connect_timeout", "\(connectTimeoutSeconds)"),
            ("keepalives", "1"), ("keepalives_idle", "2"), ("keepalives_interval", "1"), ("keepalives_count", "3"),
            ("tcp_user_timeout", "5000"),
        ]
        let keys = options.map { strdup($0.0) }
        let values = options.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        let opened: OpaquePointer? = (keys.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { keyPointers in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { valuePointers in
                PQconnectdbParams(keyPointers.baseAddress, valuePointers.baseAddress, 1)
            }
        }
        guard let opened else { throw .connection("out of memory opening a session to \(displayURL)") }
        guard PQstatus(opened) == CONNECTION_OK else {
            let why = Self.message(opened)
            PQfinish(opened)
            throw .connection("cannot connect to \(displayURL): \(why)")
        }
        connection = opened
    }

    deinit { PQfinish(connection) }

    /// The server process serving this session (what `pg_terminate_backend` takes).
    public var backendPID: Int32 { PQbackendPID(connection) }

    /// Whether the session still looks usable (libpq notices a lost one only on its next call).
    public var isOpen: Bool { PQstatus(connection) == CONNECTION_OK }

    /// Runs one statement with its parameters (`$1`, `$2`...) and returns its rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresParameter] = []) throws(PostgresError) -> PostgresResult {
        let name = try prepare(sql)
        let result = try Self.withParameters(parameters) { (count, values, lengths, formats) throws(PostgresError) in
            PQexecPrepared(connection, name, count, values, lengths, formats, 0)
        }
        return try take(result, sql)
    }

    /// Runs statements with no parameters, separated by semicolons (a migration's DDL).
    public func executeScript(_ sql: String) throws(PostgresError) {
        _ = try take(PQexec(connection, sql), sql)
    }

    /// Runs `statements` in one round trip, in order, and returns each one's rows. The first
    /// refusal is thrown, and the statements after it do not run; inside a transaction that
    /// leaves it aborted, so a caller rolls back as after any refusal.
    public func pipeline(_ statements: [(sql: String, parameters: [PostgresParameter])]) throws(PostgresError) -> [PostgresResult] {
        guard !statements.isEmpty else { return [] }
        var names: [String] = []
        names.reserveCapacity(statements.count)
        for statement in statements { names.append(try prepare(statement.sql)) }
        guard PQenterPipelineMode(connection) == 1 else { throw failure("entering pipeline mode") }
        defer { PQexitPipelineMode(connection) }
        for (statement, name) in zip(statements, names) {
            let sent = try Self.withParameters(statement.parameters) { (count, values, lengths, formats) throws(PostgresError) in
                PQsendQueryPrepared(connection, name, count, values, lengths, formats, 0)
            }
            guard sent == 1 else { throw failure("sending \(statement.sql)") }
        }
        guard PQpipelineSync(connection) == 1 else { throw failure("ending the pipeline") }
        var results: [PostgresResult] = []
        var firstError: PostgresError?
        for statement in statements {
            guard let result = PQgetResult(connection) else { throw failure("reading the pipeline's results") }
            do throws(PostgresError) {
                let taken = try take(result, statement.sql)
                if firstError == nil { results.append(taken) }
            } catch {
                if firstError == nil { firstError = error }
            }
            // Each statement's result is followed by a null that ends it.
            while let extra = PQgetResult(connection) { PQclear(extra) }
        }
        // The sync point's own result.
        guard let sync = PQgetResult(connection) else { throw failure("reading the pipeline's end") }
        PQclear(sync)
        if let firstError { throw firstError }
        return results
    }

    private func prepare(_ sql: String) throws(PostgresError) -> String {
        if let name = prepared[sql] { return name }
        let name = "s\(prepared.count + 1)"
        _ = try take(PQprepare(connection, name, sql, 0, nil), sql)
        prepared[sql] = name
        return name
    }

    /// The result's rows, or the error it carries; the result is freed either way.
    private func take(_ result: OpaquePointer?, _ sql: String) throws(PostgresError) -> PostgresResult {
        guard let result else { throw failure("running \(sql)") }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK: return PostgresResult(result)
        case PGRES_PIPELINE_ABORTED: throw .usage("a statement after a refused one in the same pipeline: \(sql)")
        default:
            if PQstatus(connection) != CONNECTION_OK { throw .connection(Self.message(connection)) }
            guard let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))) else {
                throw .connection(String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines())
            }
            let detail = PQresultErrorField(result, Int32(UInt8(ascii: "D"))).map { String(cString: $0) }
            let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? ""
            throw .server(sqlState: String(cString: state), message: message, detail: detail)
        }
    }

    private func failure(_ operation: String) -> PostgresError {
        if PQstatus(connection) != CONNECTION_OK { return .connection(Self.message(connection)) }
        return .connection("\(operation): \(Self.message(connection))")
    }

    private static func message(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines()
    }

    /// Lays the parameters out as libpq takes them: text (integers included) NUL-terminated in
    /// text format, bytes in binary format, in one buffer that lives for the call.
    private static func withParameters<R>(
        _ parameters: [PostgresParameter],
        _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) throws(PostgresError) -> R
    ) throws(PostgresError) -> R {
        var buffer: [UInt8] = []
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        // Text is read up to its NUL, bytes by their length (format 1: binary).
        func add(_ value: some Collection<UInt8>, binary: Bool) {
            offsets.append(buffer.count)
            buffer.append(contentsOf: value)
            buffer.append(0)
            lengths.append(binary ? Int32(value.count) : 0)
            formats.append(binary ? 1 : 0)
        }
        for parameter in parameters {
            switch parameter {
            case .null:
                offsets.append(nil)
                lengths.append(0)
                formats.append(0)
            case let .text(text):
                guard !text.utf8.contains(0) else { throw .usage("text holding U+0000 cannot be stored as PostgreSQL text; send it as bytes") }
                add(text.utf8, binary: false)
            case let .integer(value): add("\(value)".utf8, binary: false)
            case let .bytes(bytes): add(bytes, binary: true)
            }
        }
        return try buffer.withUnsafeBufferPointer { (storage) throws(PostgresError) -> R in
            let base = UnsafeRawPointer(storage.baseAddress!).assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = offsets.map { $0.map { base + $0 } }
            return try values.withUnsafeBufferPointer { (values) throws(PostgresError) -> R in
                try lengths.withUnsafeBufferPointer { (lengths) throws(PostgresError) -> R in
                    try formats.withUnsafeBufferPointer { (formats) throws(PostgresError) -> R in
                        try body(Int32(parameters.count), values.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }

    /// `scheme://user:password@host/db` with the password replaced by `***`. Only the
    /// authority (up to the first `/`, `?` or `#`) is looked at: an `@` in the options is not a login.
    public static func redacted(_ url: String) -> String {
        let parts = url.split(separator: "://", maxSplits: 1)
        guard parts.count == 2 else { return url }
        let rest = parts[1]
        let authority = rest[..<(rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex)]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return "\(parts[0])://\(rest[...colon])***\(rest[at...])"
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
