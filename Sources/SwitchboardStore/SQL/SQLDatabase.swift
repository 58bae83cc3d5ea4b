/// A connection inside a transaction (or a read), as every unit of work of the store sees
/// it: the store's SQL is written once, with `?` placeholders, and runs on SQLite or on
/// PostgreSQL through this. Statements are prepared once per connection and kept.
public protocol SQLDatabase: AnyObject {
    /// Runs one statement; returns how many rows it inserted, updated or deleted.
    @discardableResult
    func execute(sql: String, arguments: SQLArguments) throws -> Int
    /// Runs one statement and passes each row to `body`, without keeping them all.
    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws
    /// Runs one statement and returns its first row, reading no further.
    func fetchOne(sql: String, arguments: SQLArguments) throws -> SQLRow?
    /// Runs a statement whose outcome nobody reads, inside a transaction. A database on a
    /// server may send it with the next statement that needs an answer, or with the commit,
    /// saving a round trip: should it fail, that later call throws, and the transaction
    /// fails with it. For writes that cannot fail but with the database itself.
    func write(sql: String, arguments: SQLArguments) throws
    /// Reserves the next `count` ids of `table`'s key for rows this transaction inserts with
    /// their ids given (the writer is alone, so nobody else takes them meanwhile).
    func reserveIds(in table: String, count: Int) throws -> [Int64]
}

extension SQLDatabase {
    /// At once, where a round trip costs nothing (SQLite, in the process).
    public func write(sql: String, arguments: SQLArguments) throws { try execute(sql: sql, arguments: arguments) }

    /// Runs `body` in a savepoint: kept when it returns true, undone when it returns false or
    /// throws. Plain statements, prepared once like any other (GRDB's own savepoints compiled
    /// their SQL anew each time, a tenth of a console's `request.accept`), and sent as writes:
    /// on a server they go with the next statement that needs an answer. One name serves
    /// nested savepoints, since both databases undo and release the latest of a name.
    func inSavepoint(_ body: () throws -> Bool) throws {
        try write(sql: "SAVEPOINT store", arguments: [])
        let keep: Bool
        do {
            keep = try body()
        } catch {
            // Best effort: the failed statement has thrown already, and after some failures
            // (a full disk) SQLite has rolled back the whole transaction; the first error is
            // the one that matters.
            try? write(sql: "ROLLBACK TO SAVEPOINT store", arguments: [])
            try? write(sql: "RELEASE SAVEPOINT store", arguments: [])
            throw error
        }
        if !keep { try write(sql: "ROLLBACK TO SAVEPOINT store", arguments: []) }
        try write(sql: "RELEASE SAVEPOINT store", arguments: [])
    }

    @discardableResult
    public func execute(sql: String) throws -> Int { try execute(sql: sql, arguments: []) }

    public func fetchAll(sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try forEachRow(sql: sql, arguments: arguments) { rows.append($0) }
        return rows
    }
}

/// One row of a result, read by position: `row[0]`, typed by what the caller expects, as
/// GRDB's rows are read (a NULL read as a non-optional type is a programming error).
public struct SQLRow: Sendable, Equatable, CustomStringConvertible {
    public let values: [SQLValue]

    /// `[1, 'Ada', NULL]`: for test failures and logs.
    public var description: String {
        "[" + values.map { value in
            switch value {
            case .null: "NULL"
            case let .integer(number): "\(number)"
            case let .real(number): "\(number)"
            case let .text(text): "'\(text)'"
            case let .blob(bytes): "<\(bytes.count) bytes>"
            }
        }.joined(separator: ", ") + "]"
    }

    public init(_ values: [SQLValue]) { self.values = values }

    public subscript<T: SQLValueConvertible>(_ index: Int) -> T {
        guard let value = T.fromSQL(values[index]) else {
            fatalError("column \(index) holds \(values[index]), which is not a \(T.self)")
        }
        return value
    }

    public subscript<T: SQLValueConvertible>(_ index: Int) -> T? {
        if case .null = values[index] { return nil }
        return T.fromSQL(values[index])
    }

    public static func fetchAll(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        try db.fetchAll(sql: sql, arguments: arguments)
    }

    public static func fetchOne(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        try db.fetchOne(sql: sql, arguments: arguments)
    }
}

extension SQLValueConvertible {
    /// The first column of the first row; nil when there is no row or it is NULL.
    public static func fetchOne(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> Self? {
        guard let row = try SQLRow.fetchOne(db, sql: sql, arguments: arguments) else { return nil }
        return row[0] as Self?
    }

    /// The first column of every row, NULLs left out.
    public static func fetchAll(_ db: any SQLDatabase, sql: String, arguments: SQLArguments = []) throws -> [Self] {
        try db.fetchAll(sql: sql, arguments: arguments).compactMap { $0[0] as Self? }
    }
}
