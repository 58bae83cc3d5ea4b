import Foundation
import GRDB
import SwitchboardCore

/// Fills a Switchboard database with closed requests, as months of traffic leave it, so
/// that the bench can check costs do not grow with the data. Writes rows the way the service
/// would have (users, requests, processed message ids, counters) but in bulk SQL: it knows
/// the schema, as a benchmark fixture may.
enum History {
    /// `spacingMilliseconds` apart, after any already stored: 8,640 makes 10,000 a day.
    static func add(requests count: Int, to path: String, spacingMilliseconds: Int64 = 1) throws {
        let pool = try DatabasePool(path: path)
        try pool.write { db in
            let start = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM requests") ?? 0
            let operators = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM operators") ?? 0
            // Operator ids are contiguous in the bench's own databases.
            guard operators > 0 else { return }
            try db.execute(sql: """
                INSERT OR IGNORE INTO users (identifier, created_at)
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10000)
                SELECT 'history-user-' || x, 0 FROM n
                """)
            let firstUser = try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM users WHERE identifier LIKE 'history-user-%'") ?? 1
            try db.execute(sql: """
                INSERT INTO requests (user_id, source_id, operator_id, message, status, message_id, created_at, assigned_at,
                                      first_assigned_at, closed_at)
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?)
                SELECT ? + x % 10000, 1, (SELECT MIN(id) FROM operators) + x % ?,
                       'Historical request ' || x, 'closed', 'history-' || (? + x), 1700000000000 + (? + x) * ?,
                       1700000000000 + (? + x) * ? + 2000 + x % 90000, 1700000000000 + (? + x) * ? + 2000 + x % 90000,
                       1700000000000 + (? + x) * ? + 240000 + x % 600000
                FROM n
                """, arguments: [count, firstUser, operators, start, start, spacingMilliseconds, start, spacingMilliseconds,
                                 start, spacingMilliseconds, start, spacingMilliseconds])
            try db.execute(sql: """
                INSERT INTO processed_messages (message_id, request_id, processed_at)
                SELECT message_id, id, created_at FROM requests WHERE id > ? AND message_id IS NOT NULL
                """, arguments: [start])
            try db.execute(sql: """
                UPDATE operators SET request_count = (SELECT COUNT(*) FROM requests WHERE operator_id = operators.id);
                UPDATE sources SET request_count = (SELECT COUNT(*) FROM requests WHERE source_id = sources.id);
                """)
        }
        _ = try pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }

    /// The 24 hours up to the latest request stored: the window `stats.service_level` is
    /// timed over.
    static func lastDay(of path: String) throws -> [String: JSONValue] {
        let latest = try DatabaseQueue(path: path).read { try Int64.fetchOne($0, sql: "SELECT MAX(created_at) FROM requests") } ?? 0
        return ["since": .string(Timestamp(milliseconds: latest - 86_400_000).description),
                "until": .string(Timestamp(milliseconds: latest).description)]
    }

    /// Adds `count` audit rows as a year of console and admin work leaves them: 100 users
    /// taking turns, mostly presence and accept commands, one `operator.delete` in 1,000.
    /// Returns how many rows the audit table then holds.
    @discardableResult
    static func add(auditRows count: Int, to path: String) throws -> Int {
        let pool = try DatabasePool(path: path)
        let total = try pool.write { db in
            try db.execute(sql: """
                INSERT INTO audit (at, user, command, args, outcome, message_id)
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?)
                SELECT 1700000000000 + x, 'history-user-' || (x % 100),
                       CASE WHEN x % 1000 = 0 THEN 'operator.delete' WHEN x % 2 = 0 THEN 'request.accept' ELSE 'operator.set_presence' END,
                       '{"id":' || (x % 50) || '}', 'ok', 'history-audit-' || x
                FROM n
                """, arguments: [count])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit") ?? 0
        }
        _ = try pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        return total
    }
}
