import Foundation
import Postgres

/// Which database the store and service suites run on: SQLite, or PostgreSQL
/// (`scripts/postgres`) when `SWITCHBOARD_TEST_STORE=postgres`. `make test` runs both suites
/// once on each.
public enum TestDatabase {
    public static let isPostgres = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_STORE"] == "postgres"
    public static let isSQLite = !isPostgres

    /// A fresh SQLite file's path in a folder of its own, or under PostgreSQL a fresh database's URL.
    public static func fresh(_ label: String) -> String {
        if isPostgres {
            do { return try LocalPostgres.freshDatabase(label) } catch { fatalError("no PostgreSQL for the tests (scripts/postgres start): \(error)") }
        }
        return ScratchFolder.make(label).appendingPathComponent("db.sqlite").path
    }

    /// Where purged requests of `database`, made by ``fresh(_:)``, go: under PostgreSQL,
    /// which has no folder beside a database, a folder of its own, the same each time it is
    /// reopened; nil under SQLite, whose archive is beside the file by default.
    public static func archiveDirectory(for database: String) -> String? {
        guard isPostgres else { return nil }
        let name = database.split(separator: "/").last.map { $0.split(separator: "?")[0] } ?? "default"
        return ScratchFolder.root.appendingPathComponent("archive-\(name)").path
    }
}

extension TestDatabase {
    /// Whether `text` is anywhere in `database`: in the SQLite file's bytes and its log's,
    /// or in any row of a PostgreSQL database (whose text columns are `bytea`, read as hex).
    public static func holds(_ text: String, database: String) throws -> Bool {
        guard isPostgres else {
            return try [database, database + "-wal"].contains { path in
                guard FileManager.default.fileExists(atPath: path) else { return false }
                return try Data(contentsOf: URL(fileURLWithPath: path)).range(of: Data(text.utf8)) != nil
            }
        }
        let connection = try PostgresConnection(url: database, applicationName: "switchboard tests")
        let hex = text.utf8.map { String(format: "%02x", $0) }.joined()
        let tables = try connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").rows.compactMap { row -> String? in
            if case let .text(name) = row[0] { name } else { nil }
        }
        for table in tables {
            let rows = try connection.execute("SELECT coalesce(string_agg(t::text, ' '), '') FROM \"\(table)\" t").scalar ?? ""
            if rows.contains(text) || rows.contains(hex) { return true }
        }
        return false
    }
}

extension TestDatabase {
    /// How late after its deadline an offer may expire or a request escalate in the service
    /// tests, in milliseconds. 250 is the promise for a service that is not saturated, and
    /// the tests run alone stay under it on both stores. Under the whole suite on two cores
    /// every test's service shares the CPU with the rest: on SQLite an escalation was seen
    /// 315 ms late while the in-process replay tests ran beside it, and an offer 543 ms late
    /// beside the replay's fidelity days, its browser check and a 8,000-request intake; on
    /// PostgreSQL, where every writer also waits on one server working for all the others,
    /// 268 and 324 ms. The exact times are the pure deadline decisions' tests, on a given clock.
    public static let deadlineSlackMilliseconds: Int64 = 1_000
}
