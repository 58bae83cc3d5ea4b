import Foundation
import SwitchboardCore

// Closed requests archived, then deleted: by `request.purge` and by the writer's retention
// (SWITCHBOARD_RETAIN_CLOSED), through the one function below.
extension SwitchboardStore {
    /// Archives, then deletes, up to `limit` requests closed before `cutoff`, oldest first, in
    /// `db`'s transaction: the archive's lines are on disk before the delete can commit, and
    /// count as written only if it does (``ArchiveFiles``). Counts drop with the rows
    /// (`stats.*` count what is stored); the lifetime total of purged requests rises. A
    /// request whose wrap-up still holds its operator's slot stays until the wrap-up ends.
    func purgeClosed(before cutoff: Timestamp, limit: Int, _ db: any SQLDatabase) throws -> (purged: Int, files: [String]) {
        let chosen = """
            SELECT id FROM requests INDEXED BY requests_closed WHERE status = 'closed' AND wrap_up_due IS NULL AND closed_at < ? ORDER BY closed_at LIMIT ?
            """
        let rows = try SQLRow.fetchAll(
            db, sql: "\(Records.detailSelect) WHERE r.id IN (\(chosen)) ORDER BY r.closed_at, r.id", arguments: [cutoff.milliseconds, limit])
        guard !rows.isEmpty else { return (0, []) }
        // Every chosen request's offers in one statement: one a request cost a round trip
        // each on PostgreSQL, and a purge of 2,000 outlasted a command's 5 s there.
        var offersByRequest: [Int64: [OfferRecord]] = [:]
        try db.forEachRow(sql: """
            SELECT request_id, operator_id, offered_at, expires_at, outcome, ended_at FROM offers
            WHERE request_id IN (\(chosen)) ORDER BY request_id, offered_at, round
            """, arguments: [cutoff.milliseconds, limit]) { row in
            offersByRequest[row[0], default: []].append(OfferRecord(
                operatorId: row[1], offeredAt: Timestamp(milliseconds: row[2]), expiresAt: Timestamp(milliseconds: row[3]),
                outcome: row[4], endedAt: Timestamp(row[5] as Int64?)))
        }
        let archivedAt = now()
        var files: [String: [UInt8]] = [:]
        let details = rows.map(Records.makeDetail)
        for detail in details {
            let line = ArchivedRequest(detail: detail, offers: offersByRequest[detail.request.id] ?? [], archivedAt: archivedAt)
            let name = ArchiveFiles.fileName(forDay: detail.request.closedAt ?? archivedAt)
            files[name, default: []] += try JSON.encoder.encode(line) + [UInt8(ascii: "\n")]
        }
        for (name, lines) in files.sorted(by: { $0.key < $1.key }) { try archive.append(lines, to: name, db) }
        try delete(details, db)
        return (details.count, files.keys.sorted())
    }

    /// Deletes archived requests (their offers go with them), lowers the stored counts they
    /// were in, deletes each user left with no request, and adds them to the lifetime total.
    private func delete(_ details: [RequestDetail], _ db: any SQLDatabase) throws {
        var byOperator: [Int64: Int] = [:]
        var bySource: [Int64: Int] = [:]
        let deleteRequest = "DELETE FROM requests WHERE id = ?"
        for detail in details {
            try db.write(sql: deleteRequest, arguments: [detail.request.id])
            if let operatorId = detail.request.operatorId { byOperator[operatorId, default: 0] += 1 }
            bySource[detail.request.sourceId, default: 0] += 1
        }
        for (id, count) in byOperator {
            try db.write(sql: "UPDATE operators SET request_count = request_count - ? WHERE id = ?", arguments: [count, id])
        }
        for (id, count) in bySource {
            try db.write(sql: "UPDATE sources SET request_count = request_count - ? WHERE id = ?", arguments: [count, id])
        }
        for user in Set(details.map(\.user.id)) {
            try db.write(sql: """
                DELETE FROM users WHERE id = ? AND NOT EXISTS (SELECT 1 FROM requests INDEXED BY requests_user WHERE user_id = ?)
                """, arguments: [user, user])
        }
        // The cache must not hand intake an id just deleted; it refills from the table.
        userIds.removeAll(keepingCapacity: true)
        try db.write(sql: """
            INSERT INTO lifetime_totals (name, value) VALUES ('requests_purged', ?)
            ON CONFLICT (name) DO UPDATE SET value = lifetime_totals.value + excluded.value
            """, arguments: [details.count])
    }

    /// How many requests closed before `cutoff` are stored, and the archive files a purge of
    /// them all would write to: one indexed seek per day, however many requests there are.
    func purgePreview(before cutoff: Timestamp, _ db: any SQLDatabase) throws -> (count: Int, files: [String]) {
        let count = try closedCount(before: cutoff, db)
        let firstFrom = """
            SELECT MIN(closed_at) FROM requests INDEXED BY requests_closed
            WHERE status = 'closed' AND wrap_up_due IS NULL AND closed_at >= ? AND closed_at < ?
            """
        var files: [String] = []
        var from = Int64.min
        while let first = try Int64.fetchOne(db, sql: firstFrom, arguments: [from, cutoff.milliseconds]) {
            let day = Timestamp(milliseconds: first)
            files.append(ArchiveFiles.fileName(forDay: day))
            from = day.startOfNextDay.milliseconds
        }
        return (count, files)
    }

    /// Closed requests stored that closed before `cutoff`, wrap-ups running aside: one count
    /// over each partial index (a filter on the row itself would read every row counted).
    func closedCount(before cutoff: Timestamp, _ db: any SQLDatabase) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT (SELECT COUNT(*) FROM requests INDEXED BY requests_closed WHERE status = 'closed' AND closed_at < ?)
                 - (SELECT COUNT(*) FROM requests WHERE wrap_up_due IS NOT NULL AND closed_at < ?)
            """, arguments: [cutoff.milliseconds, cutoff.milliseconds]) ?? 0
    }

    /// Requests archived and deleted over the database's life.
    static func requestsPurged(_ db: any SQLDatabase) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT value FROM lifetime_totals WHERE name = 'requests_purged'") ?? 0
    }

    /// Archives and deletes one round of requests closed more than `retention` ago, in a
    /// transaction of its own (the writer's retention, between batches). Returns how many.
    public func purgeClosed(olderThan retention: Duration, limit: Int) throws -> (purged: Int, files: [String]) {
        let cutoff = self.cutoff(olderThan: retention)
        defer { commitsSinceCheckpoint += 1 }
        do {
            return try transaction { try purgeClosed(before: cutoff, limit: limit, $0) }
        } catch {
            userIds.removeAll()
            throw error
        }
    }

    /// Gives free pages back to the file system in steps of `step` pages (4 MiB), once more
    /// than a tenth of the file is free: steady retention reuses its own free pages, and
    /// only a large purge shrinks the file. Returns the pages given back.
    public func returnFreePages(step: Int = 1_024) throws -> Int {
        let pages = try backend.returnFreePages(step: step)
        if pages > 0 { commitsSinceCheckpoint += 1 }
        return pages
    }
}
