import SwitchboardCore

// The dedupe window: message ids are remembered for a set time, then forgotten by the
// single writer in small steps between batches.
extension SwitchboardStore {
    /// Forgets, oldest first, up to `limit` intake and `limit` command message ids processed
    /// more than `window` ago, in one short transaction. Returns how many were forgotten;
    /// fewer than `limit` of each means none older is left.
    public func forgetMessageIds(olderThan window: Duration, limit: Int) throws -> (intake: Int, commands: Int) {
        let cutoff = self.cutoff(olderThan: window)
        defer { commitsSinceCheckpoint += 1 }
        return try transaction { db in
            let intake = try db.execute(sql: """
                DELETE FROM processed_messages WHERE message_id IN (
                    SELECT message_id FROM processed_messages WHERE processed_at < ? ORDER BY processed_at LIMIT ?)
                """, arguments: [cutoff.milliseconds, limit])
            return (intake, try Self.deleteOldest(of: "processed_commands", timedBy: "processed_at", before: cutoff, limit: limit, db))
        }
    }

    /// Forgets, oldest first, up to `limit` audit rows written more than `retention` ago, in
    /// one short transaction (SWITCHBOARD_RETAIN_AUDIT). Returns how many.
    public func forgetAuditRows(olderThan retention: Duration, limit: Int) throws -> Int {
        let cutoff = self.cutoff(olderThan: retention)
        defer { commitsSinceCheckpoint += 1 }
        return try transaction { try Self.deleteOldest(of: "audit", timedBy: "at", before: cutoff, limit: limit, $0) }
    }

    /// Forgets, oldest first, up to `limit` presence changes recorded more than `retention`
    /// ago: the presence record is kept as long as the audit trail. Returns how many. The
    /// settings record goes with it, uncounted: a change of settings is an audited command,
    /// counted with the audit rows.
    public func forgetPresenceChanges(olderThan retention: Duration, limit: Int) throws -> Int {
        let cutoff = self.cutoff(olderThan: retention)
        defer { commitsSinceCheckpoint += 1 }
        return try transaction {
            _ = try Self.deleteOldest(of: "setting_changes", timedBy: "at", before: cutoff, limit: limit, $0)
            return try Self.deleteOldest(of: "presence_changes", timedBy: "at", before: cutoff, limit: limit, $0)
        }
    }

    /// The time before which a row kept for `period` is due to go: the one rule of every
    /// setting that keeps rows for a time (the dedupe window, closed requests, audit rows).
    func cutoff(olderThan period: Duration) -> Timestamp {
        Timestamp(milliseconds: now().milliseconds - period.milliseconds)
    }

    /// Deletes up to `limit` of the first rows of a table kept in arrival order (by its
    /// integer key) whose time is before `cutoff`. The oldest are the first rows, so only
    /// those are read: a filter on the time over the whole table would read every row kept.
    private static func deleteOldest(of table: String, timedBy column: String, before cutoff: Timestamp, limit: Int,
                                     _ db: any SQLDatabase) throws -> Int {
        try db.execute(sql: """
            DELETE FROM \(table) WHERE id <= (
                SELECT MAX(id) FROM (SELECT id, \(column) FROM \(table) ORDER BY id LIMIT ?) AS oldest WHERE \(column) < ?)
            """, arguments: [limit, cutoff.milliseconds])
    }

    /// When the oldest message id still remembered was processed; nil when none is.
    static func oldestMessageIdTime(_ db: any SQLDatabase) throws -> Timestamp? {
        let intake = try Int64.fetchOne(db, sql: "SELECT MIN(processed_at) FROM processed_messages")
        let command = try Int64.fetchOne(db, sql: "SELECT processed_at FROM processed_commands ORDER BY id LIMIT 1")
        return [intake, command].compactMap { $0 }.min().map(Timestamp.init(milliseconds:))
    }
}
