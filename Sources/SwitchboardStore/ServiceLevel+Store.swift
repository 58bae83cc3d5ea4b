import SwitchboardCore

extension SwitchboardStore {
    /// `stats.service_level`: the requests created in the window, read through the
    /// (created_at) index, so the cost follows the window's requests, not all those stored
    /// (switchboard-bench --only scale compares 10,000 stored with 1,010,000).
    func serviceLevel(_ query: ServiceLevelQuery, _ db: any SQLDatabase) throws -> ServiceLevel {
        let time = now()
        let window = try query.window(now: time).get()
        if let sourceId = query.sourceId, try Records.fetchSource(sourceId, db) == nil {
            throw CommandError.validation([FieldProblem(field: "source_id", problem: "no source with id \(sourceId)")])
        }
        let arguments: SQLArguments = [window.since.milliseconds, window.until.milliseconds, query.sourceId]
        var overall = ServiceLevelTally()
        var bySource: [Int64: ServiceLevelTally] = [:]
        var byOperator: [Int64: ServiceLevelTally] = [:]
        let required = Self.requiring(query.skill)
        try db.forEachRow(sql: Self.serviceLevelQueries.requests, arguments: arguments) { row in
            guard required(row[6]) else { return }
            let sourceId: Int64 = row[0]
            let operatorId: Int64? = row[1]
            let isClosed = row[2] as String == "closed"
            // The first assignment: a transfer or a requeue later does not move it; an offer
            // never sets it.
            let assignedAt: Int64? = row[4]
            let add = { (tally: inout ServiceLevelTally) in
                tally.add(createdAt: row[3], assignedAt: assignedAt, closedAt: row[5], isClosed: isClosed)
            }
            add(&overall)
            add(&bySource[sourceId, default: ServiceLevelTally()])
            if let operatorId, assignedAt != nil { add(&byOperator[operatorId, default: ServiceLevelTally()]) }
        }
        try db.forEachRow(sql: Self.serviceLevelQueries.offers, arguments: arguments) { row in
            guard required(row[3]) else { return }
            let outcome: String? = row[2]
            overall.addOffer(outcome: outcome)
            bySource[row[0], default: ServiceLevelTally()].addOffer(outcome: outcome)
            byOperator[row[1], default: ServiceLevelTally()].addOffer(outcome: outcome)
        }
        let thresholds = query.thresholdsSeconds
        return ServiceLevel(
            window: window,
            overall: overall.row(thresholdsSeconds: thresholds),
            bySource: bySource.keys.sorted().map { bySource[$0]!.row(thresholdsSeconds: thresholds, sourceId: $0) },
            byOperator: byOperator.keys.sorted().map { byOperator[$0]!.row(thresholdsSeconds: thresholds, operatorId: $0) },
            waiting: try waitingLine(sourceId: query.sourceId, skill: query.skill, now: time, db))
    }

    /// Whether a request's `requires` column names the skill (every request, without one).
    /// Decided here rather than in SQL: a pattern on JSON text would read differently on the
    /// two stores, and only the window's requests are read.
    static func requiring(_ skill: String?) -> (String?) -> Bool {
        guard let skill else { return { _ in true } }
        return { column in column != nil && CompetencyColumns.requirements(column).contains { $0.skill == skill } }
    }

    /// The window's requests and their offers, by the (created_at) index; the source filter
    /// is optional (NULL: every source; COALESCE gives PostgreSQL a type for it). A request
    /// that arrived after hours is timed from its source's opening, to its first assignment.
    static let serviceLevelQueries = (
        requests: """
            SELECT r.source_id, r.operator_id, r.status, COALESCE(r.opens_at, r.created_at), COALESCE(r.first_assigned_at, r.assigned_at),
                   r.closed_at, r.requires
            FROM requests r INDEXED BY requests_created
            WHERE r.created_at BETWEEN ? AND ? AND r.source_id = COALESCE(?, r.source_id)
            """,
        offers: """
            SELECT r.source_id, o.operator_id, o.outcome, r.requires
            FROM requests r INDEXED BY requests_created JOIN offers o ON o.request_id = r.id
            WHERE r.created_at BETWEEN ? AND ? AND r.source_id = COALESCE(?, r.source_id)
            """)

    /// The waiting line now, or one source's part of it, and its longest-waiting request.
    private func waitingLine(sourceId: Int64?, skill: String?, now: Timestamp, _ db: any SQLDatabase) throws -> ServiceLevel.Waiting {
        var count: Int
        var oldest: SQLRow?
        if skill != nil {
            // The waiting requests that required the skill, oldest first, through the waiting index.
            let required = Self.requiring(skill)
            count = 0
            try db.forEachRow(sql: """
                SELECT id, source_id, priority, created_at, requires FROM requests INDEXED BY requests_waiting
                WHERE status = 'waiting' AND source_id = COALESCE(?, source_id) ORDER BY id
                """, arguments: [sourceId]) { row in
                guard required(row[4]) else { return }
                count += 1
                if oldest == nil { oldest = row }
            }
        } else if let sourceId {
            count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE source_id = ? AND status = 'waiting'",
                                     arguments: [sourceId]) ?? 0
            oldest = try SQLRow.fetchOne(db, sql: """
                SELECT id, source_id, priority, created_at FROM requests WHERE source_id = ? AND status = 'waiting'
                ORDER BY id LIMIT 1
                """, arguments: [sourceId])
        } else {
            count = try Int.fetchOne(db, sql: Self.lineCountQueries.waiting) ?? 0
            oldest = try SQLRow.fetchOne(db, sql: Self.oldestWaitingQuery)
        }
        return ServiceLevel.Waiting(count: count, oldest: oldest.map {
            ServiceLevel.Oldest(id: $0[0], sourceId: $0[1], priority: $0[2],
                                ageSeconds: now.seconds(since: Timestamp(milliseconds: $0[3])))
        })
    }
}
