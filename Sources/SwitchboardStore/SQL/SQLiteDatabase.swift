import CSQLite
import GRDB

/// The store's SQL on SQLite. Statements are GRDB's cached statements (compiled once per
/// connection), bound and stepped here through SQLite's C API: going through GRDB's
/// arguments and rows as well cost the hot path a fifth of its speed (store-bench, intake
/// in batches of 256: 46,000 requests/s against 60,000). Transactions stay GRDB's, so it
/// keeps track of them; savepoints, which only ever nest inside one, are plain statements
/// (``SQLDatabase/inSavepoint(_:)``).
final class SQLiteDatabase: SQLDatabase {
    let grdb: Database

    init(_ grdb: Database) { self.grdb = grdb }

    func execute(sql: String, arguments: SQLArguments) throws -> Int {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else { throw failure(code, sql) }
        return Int(sqlite3_changes(sqlite3_db_handle(statement)))
    }

    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        while true {
            let code = sqlite3_step(statement)
            guard code == SQLITE_ROW else {
                guard code == SQLITE_DONE else { throw failure(code, sql) }
                return
            }
            try body(Self.row(of: statement))
        }
    }

    func fetchOne(sql: String, arguments: SQLArguments) throws -> SQLRow? {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        let code = sqlite3_step(statement)
        guard code == SQLITE_ROW else {
            guard code == SQLITE_DONE else { throw failure(code, sql) }
            return nil
        }
        return Self.row(of: statement)
    }

    /// After the highest id ever given (AUTOINCREMENT's `sqlite_sequence`, or the largest
    /// stored): inserting them moves both on, so the next reservation starts after them.
    func reserveIds(in table: String, count: Int) throws -> [Int64] {
        let last: Int64 = try fetchOne(sql: """
            SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), coalesce((SELECT max(id) FROM \(table)), 0))
            """, arguments: [table])?[0] ?? 0
        return Array(last + 1...last + Int64(count))
    }

    private func prepared(_ sql: String, _ arguments: SQLArguments) throws -> OpaquePointer {
        let statement = try grdb.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(statement)
        for (index, value) in arguments.values.enumerated() {
            let position = Int32(index + 1)
            let code: Int32 = switch value {
            case .null: sqlite3_bind_null(statement, position)
            case let .integer(number): sqlite3_bind_int64(statement, position, number)
            case let .real(number): sqlite3_bind_double(statement, position, number)
            case let .text(text): Self.bind(text, at: position, of: statement)
            case let .blob(bytes):
                bytes.withUnsafeBytes { sqlite3_bind_blob(statement, position, $0.baseAddress, Int32($0.count), Self.transient) }
            }
            guard code == SQLITE_OK else { throw failure(code, sql) }
        }
        return statement
    }

    /// SQLite's error, as GRDB raises it, so that callers tell a full disk from a bad statement alike.
    private func failure(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(grdb.sqliteConnection)), sql: sql)
    }

    /// The row the statement stands on.
    private static func row(of statement: OpaquePointer) -> SQLRow {
        SQLRow((0..<sqlite3_column_count(statement)).map { column($0, of: statement) })
    }

    private static func column(_ index: Int32, of statement: OpaquePointer) -> SQLValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: .real(sqlite3_column_double(statement, index))
        // By its length, not up to a NUL: text may hold U+0000.
        case SQLITE_TEXT:
            .text(String(decoding: bytes(sqlite3_column_text(statement, index), statement, index), as: UTF8.self))
        case SQLITE_BLOB: .blob([UInt8](bytes(sqlite3_column_blob(statement, index), statement, index)))
        default: .null
        }
    }

    /// A text or blob column's bytes; asked for after the value, as SQLite wants.
    private static func bytes(_ start: UnsafeRawPointer?, _ statement: OpaquePointer, _ index: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: start, count: Int(sqlite3_column_bytes(statement, index)))
    }

    /// Binds by length, so that U+0000 inside the text is kept (and "" is not taken for NULL).
    private static func bind(_ text: String, at position: Int32, of statement: OpaquePointer) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            guard let start = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_text(statement, position, "", 0, transient) }
            return sqlite3_bind_text(statement, position, UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self), Int32(bytes.count), transient)
        }
    }

    /// SQLITE_TRANSIENT, which C defines as a cast Swift does not import: SQLite copies the value.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
