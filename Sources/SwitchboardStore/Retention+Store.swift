import GRDB
import SwitchboardCore

// The dedupe window: message ids are remembered for a set time, then forgotten by the
// single writer in small steps between batches.
extension SwitchboardStore {
    /// Forgets, oldest first, up to `limit` intake and `limit` command message ids processed
    /// more than `window` ago, in one short transaction. Returns how many were forgotten;
    /// fewer than `limit` of each means none older is left.
    public func forgetMessageIds(olderThan window: Duration, limit: Int) throws -> (intake: Int, commands: Int) {
        let cutoff = Timestamp(milliseconds: now().milliseconds - window.milliseconds)
        defer { commitsSinceCheckpoint += 1 }
        return try pool.write { db in
            try db.cachedStatement(sql: """
                DELETE FROM processed_messages WHERE message_id IN (
                    SELECT message_id FROM processed_messages WHERE processed_at < ? ORDER BY processed_at LIMIT ?)
                """).execute(arguments: [cutoff.milliseconds, limit])
            let intake = db.changesCount
            // Replies are in arrival order, so the oldest are the first rows: look at those
            // alone (a filter on the time over the whole table would read every row kept).
            try db.cachedStatement(sql: """
                DELETE FROM processed_commands WHERE id <= (
                    SELECT MAX(id) FROM (SELECT id, processed_at FROM processed_commands ORDER BY id LIMIT ?) WHERE processed_at < ?)
                """).execute(arguments: [limit, cutoff.milliseconds])
            return (intake, db.changesCount)
        }
    }

    /// When the oldest message id still remembered was processed; nil when none is.
    static func oldestMessageIdTime(_ db: Database) throws -> Timestamp? {
        let intake = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(processed_at) FROM processed_messages"))
        let command = try Int64.fetchOne(db.cachedStatement(sql: "SELECT processed_at FROM processed_commands ORDER BY id LIMIT 1"))
        return [intake, command].compactMap { $0 }.min().map(Timestamp.init(milliseconds:))
    }
}
