import Foundation
import Postgres

/// The store's SQL on PostgreSQL, through one libpq session.
///
/// The store writes its SQL once, in the subset both databases speak; what differs is
/// bridged here, once per statement text: `?` becomes `$1`, `$2`...; SQLite's `INDEXED BY`
/// hints go (PostgreSQL's planner takes none). Text is stored as `bytea` (PostgreSQL's text
/// cannot hold U+0000, which intake must keep exactly), so text arguments go as bytes, and
/// values come back typed by their column's type: integers and booleans as integers.
final class PostgresDatabase: SQLDatabase {
    let connection: PostgresConnection
    /// Statement texts as PostgreSQL reads them, by the store's text.
    private var translated: [String: String] = [:]

    init(_ connection: PostgresConnection) { self.connection = connection }

    func execute(sql: String, arguments: SQLArguments) throws -> Int {
        try run(sql, arguments).affectedRows
    }

    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        let result = try run(sql, arguments)
        for cells in result.rows { try body(Self.row(cells, types: result.columnTypes)) }
    }

    func fetchOne(sql: String, arguments: SQLArguments) throws -> SQLRow? {
        let result = try run(sql, arguments)
        return result.rows.first.map { Self.row($0, types: result.columnTypes) }
    }

    func write(sql: String, arguments: SQLArguments) throws {
        pending.append((statement(sql), arguments.values.map(Self.parameter)))
    }

    /// From the key's own sequence: numbers reserved and not used are skipped, as after any
    /// rolled-back insert.
    func reserveIds(in table: String, count: Int) throws -> [Int64] {
        try fetchAll(sql: "SELECT nextval(pg_get_serial_sequence('\(table)', 'id')) FROM generate_series(1, ?)", arguments: [count])
            .map { $0[0] as Int64 }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// BEGIN, savepoints and ``write(sql:arguments:)`` wait for the next statement that needs
    /// an answer, and COMMIT takes what is left: a batch costs a round trip per answer read,
    /// and one more.
    func transaction<T>(_ body: (PostgresDatabase) throws -> T) throws -> T {
        pending.append(("BEGIN", []))
        let result: T
        do {
            result = try body(self)
            pending.append(("COMMIT", []))
            try flush()
        } catch {
            pending.removeAll()
            try? connection.executeScript("ROLLBACK")
            throw error
        }
        return result
    }

    /// Statements sent but not yet answered, in order, with the SQL that PostgreSQL reads.
    private var pending: [(sql: String, parameters: [PostgresParameter])] = []

    private func flush() throws(PostgresError) {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        _ = try connection.pipeline(pending)
    }

    /// One statement, with whatever is pending sent ahead of it in the same round trip.
    private func run(_ sql: String, _ arguments: SQLArguments) throws(PostgresError) -> PostgresResult {
        guard !pending.isEmpty else { return try connection.execute(statement(sql), arguments.values.map(Self.parameter)) }
        pending.append((statement(sql), arguments.values.map(Self.parameter)))
        defer { pending.removeAll(keepingCapacity: true) }
        return try connection.pipeline(pending).last!
    }

    private func statement(_ sql: String) -> String {
        if let known = translated[sql] { return known }
        let made = Self.translate(sql)
        translated[sql] = made
        return made
    }

    /// `?` numbered in order (outside quoted text), `INDEXED BY name` removed.
    static func translate(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?", !quoted {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        while let hint = out.range(of: #"\s+INDEXED BY\s+\w+"#, options: .regularExpression) { out.removeSubrange(hint) }
        return out
    }

    private static func parameter(_ value: SQLValue) -> PostgresParameter {
        switch value {
        case .null: .null
        case let .integer(number): .integer(number)
        case let .real(number): .text("\(number)")
        case let .text(text): .bytes(Array(text.utf8))
        case let .blob(bytes): .bytes(bytes)
        }
    }

    private static func row(_ cells: [PostgresResult.Cell], types: [UInt32]) -> SQLRow {
        SQLRow(zip(cells, types).map { cell, type in
            switch cell {
            case .null: .null
            case let .bytes(bytes): .blob(bytes)
            case let .text(text): value(text, type: type)
            }
        })
    }

    /// A value in PostgreSQL's text form, by its column's type.
    private static func value(_ text: String, type: UInt32) -> SQLValue {
        switch type {
        case PostgresType.bigint, PostgresType.integer, PostgresType.smallint: .integer(Int64(text) ?? 0)
        case PostgresType.boolean: .integer(text == "t" ? 1 : 0)
        // SUM over bigint is numeric: an integer whenever it has no fraction.
        case PostgresType.numeric: Int64(text).map(SQLValue.integer) ?? .real(Double(text) ?? 0)
        case PostgresType.real, PostgresType.double: .real(Double(text) ?? 0)
        default: .text(text)
        }
    }
}

/// The type OIDs of `pg_type` the store reads.
enum PostgresType {
    static let boolean: UInt32 = 16
    static let bigint: UInt32 = 20
    static let smallint: UInt32 = 21
    static let integer: UInt32 = 23
    static let real: UInt32 = 700
    static let double: UInt32 = 701
    static let numeric: UInt32 = 1700
}
