import SwitchboardCore

/// What the writer knows of the earliest deadline: an offer's expiry, a waiting request's
/// escalation or next relaxed requirement, or the end of a wrap-up. It may be early (an
/// offer accepted since it was noted) but never late: every offer made, every request
/// entering the line with an escalation ahead and every wrap-up notes its deadline, and
/// anything else that could move it (handled deadlines, a failed transaction, a source's new
/// max wait) forgets it, so that the next look reads it again from the four partial indexes.
/// Sources' openings and closings are not rows: ``SourceOpenings`` keeps them.
struct DeadlineWatch {
    enum Known {
        case unknown
        case none
        case at(Int64)
    }

    var known = Known.unknown

    mutating func note(dueAt due: Int64) {
        switch known {
        case .unknown: break
        case .none: known = .at(due)
        case let .at(earliest): known = .at(min(earliest, due))
        }
    }

    /// One seek at the start of each of the four partial indexes.
    static let earliestQuery = """
        SELECT MIN(due) FROM (
            SELECT MIN(offer_expires_at) AS due FROM requests WHERE status = 'offered'
            UNION ALL
            SELECT MIN(escalate_at) FROM requests WHERE status = 'waiting' AND escalate_at IS NOT NULL
            UNION ALL
            SELECT MIN(relax_at) FROM requests WHERE status = 'waiting' AND relax_at IS NOT NULL
            UNION ALL
            SELECT MIN(wrap_up_due) FROM requests WHERE wrap_up_due IS NOT NULL) AS deadlines
        """

    /// The earliest deadline, reading the index only when it is not known.
    mutating func earliest(_ db: any SQLDatabase) throws -> Int64? {
        if case .unknown = known {
            let found = try Int64.fetchOne(db, sql: Self.earliestQuery)
            known = found.map(Known.at) ?? .none
        }
        if case let .at(due) = known { return due }
        return nil
    }
}

extension SwitchboardStore {
    /// The earliest deadline, if any offer is outstanding or any waiting request has an
    /// escalation ahead: the writer waits for the next delivery no longer than this.
    public func nextDeadline() throws -> Timestamp? {
        if routing == nil {
            // Before the first batch has loaded the routing table: the sources' openings too.
            let sources = try read { try HoursColumn.sources($0) }
            openings.sync(with: Dictionary(uniqueKeysWithValues: sources.map { ($0.id, $0.hours) }))
            if openings.needsTime { openings.fill(at: now().milliseconds) }
        }
        if case .unknown = deadlines.known {
            let known = try read { db in
                var watch = DeadlineWatch()
                _ = try watch.earliest(db)
                return watch.known
            }
            // A batch may have noted an earlier one meanwhile; this read only fills a gap.
            if case .unknown = deadlines.known { deadlines.known = known }
        }
        let due: Int64? = if case let .at(due) = deadlines.known { due } else { nil }
        // A source found open at start serves its line at once (time 0: already due).
        return [due, openings.earliestChange, openings.openedUnseen ? 0 : nil].compactMap { $0 }.min().map(Timestamp.init(milliseconds:))
    }

    /// Handles every deadline that has passed, in the transaction of the batch that comes
    /// first after it (or of an empty batch when nothing else arrives): offers expire, then
    /// requests waiting past their source's max wait escalate. Each change, its events and
    /// the request's next route commit together, so a crash repeats nothing and loses
    /// nothing. Pages through the deadline indexes, oldest first; each handled request
    /// leaves its due set (it waits, is offered again with a later deadline, or is escalated
    /// and has no deadline left).
    func handleDueDeadlines(_ db: any SQLDatabase, events: inout [OutboxEvent]) throws {
        // The clock is read only when a deadline is ahead: a batch's request times do not
        // depend on whether it was applied alone or with others.
        _ = try routingTable(db)
        let stored = try deadlines.earliest(db)
        guard let due = [stored, openings.earliestChange, openings.openedUnseen ? Int64.min : nil].compactMap({ $0 }).min()
        else { return }
        let time = now().milliseconds
        guard due <= time else { return }
        // A source opening serves its line with the drain below; one closing stops routing to it.
        let opened = openings.advance(to: time)
        guard let stored, stored <= time else {
            if opened { try drainWaiting(db, events: &events) }
            return
        }
        defer { deadlines.known = .unknown }
        var waited: Set<Int64> = []
        let page = """
            SELECT id, operator_id, source_id FROM requests WHERE status = 'offered' AND offer_expires_at <= ?
            ORDER BY offer_expires_at LIMIT 256
            """
        while true {
            let rows = try SQLRow.fetchAll(db, sql: page, arguments: [time])
            guard !rows.isEmpty else { break }
            for row in rows {
                let (requestId, operatorId, sourceId): (Int64, Int64, Int64) = (row[0], row[1], row[2])
                // An earlier expiry in this page may have set this operator away, which
                // withdrew and re-routed the request already.
                guard try stillOffered(requestId, to: operatorId, dueBy: time, db) else { continue }
                try expire(requestId, operatorId: operatorId, sourceId: sourceId, db, events: &events, waited: &waited)
            }
        }
        // After the expiries: a request an expiry sent back to the line past its max wait
        // escalates, or past a relax time relaxes, in this same pass.
        try escalateDue(by: time, db, events: &events)
        try relaxDue(by: time, db, events: &events)
        try endWrapUpsDue(by: time, db)
        try drainWaiting(db, events: &events, skipping: waited)
    }

    /// Escalates, once each, the waiting requests past their escalation time: priority 9,
    /// `escalated_at` set and `escalate_at` cleared (which takes the request out of the
    /// escalation index for good), and `request.escalated` with how long it waited.
    private func escalateDue(by time: Int64, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws {
        let page = """
            SELECT id, created_at, source_id, requires, relaxed FROM requests
            WHERE status = 'waiting' AND escalate_at IS NOT NULL AND escalate_at <= ?
            ORDER BY escalate_at LIMIT 256
            """
        let escalate = """
            UPDATE requests SET priority = ?, escalated_at = ?, escalate_at = NULL, line_key = ? WHERE id = ?
            """
        while true {
            let rows = try SQLRow.fetchAll(db, sql: page, arguments: [time])
            guard !rows.isEmpty else { break }
            for row in rows {
                let (requestId, createdAt): (Int64, Int64) = (row[0], row[1])
                let key = LineKey(sourceId: row[2], escalated: true, requirements: Requirement.inForce(
                    CompetencyColumns.requirements(row[3]), relaxed: CompetencyColumns.names(row[4])))
                try db.execute(sql: escalate, arguments: [Limits.escalatedPriority, time, key.description, requestId])
                line.noteWaiting(key)
                events.append(try requestEvent(.requestEscalated, requestId, db, waitedMs: time - createdAt))
                figures.escalated += 1
            }
        }
    }

    /// Drops, once each, the requirements of waiting requests that have waited their relax
    /// time (``Relaxation``): `relaxed` grows, `relax_at` moves to the next one (or NULL,
    /// which takes the request out of the relax index), the request moves to the part of
    /// the line for what it still needs, keeping its priority and age, and
    /// `request.relaxed` names what was dropped. The drain that follows routes it.
    private func relaxDue(by time: Int64, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws {
        let page = """
            SELECT id, COALESCE(opens_at, created_at), source_id, escalated_at IS NOT NULL, requires, relaxed FROM requests
            WHERE status = 'waiting' AND relax_at IS NOT NULL AND relax_at <= ?
            ORDER BY relax_at LIMIT 256
            """
        let relax = "UPDATE requests SET relaxed = ?, relax_at = ?, line_key = ? WHERE id = ?"
        while true {
            let rows = try SQLRow.fetchAll(db, sql: page, arguments: [time])
            guard !rows.isEmpty else { break }
            for row in rows {
                let requires = CompetencyColumns.requirements(row[4])
                let before = CompetencyColumns.names(row[5])
                let decision = Relaxation.due(requires: requires, relaxed: before, createdAt: row[1], now: time)
                let relaxed = before + decision.dropped
                let key = LineKey(sourceId: row[2], escalated: row[3], requirements: Requirement.inForce(requires, relaxed: relaxed))
                try db.execute(sql: relax, arguments: [CompetencyColumns.text(relaxed), decision.nextAt, key.description, row[0] as Int64])
                line.noteWaiting(key)
                guard !decision.dropped.isEmpty else { continue }
                events.append(try requestEvent(.requestRelaxed, row[0], db, dropped: decision.dropped))
                for skill in decision.dropped { figures.relaxed[skill, default: 0] += 1 }
            }
        }
    }

    private func stillOffered(_ requestId: Int64, to operatorId: Int64, dueBy time: Int64, _ db: any SQLDatabase) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM requests WHERE id = ? AND status = 'offered' AND operator_id = ? AND offer_expires_at <= ?)
            """, arguments: [requestId, operatorId, time]) ?? false
    }

    /// One expired offer: declined as `expired`, routed on, and the operator set away as
    /// ``MissedOffers`` says.
    private func expire(_ requestId: Int64, operatorId: Int64, sourceId: Int64, _ db: any SQLDatabase,
                        events: inout [OutboxEvent], waited: inout Set<Int64>) throws {
        try decline(requestId, sourceId: sourceId, Decline(operatorId: operatorId, reason: .expired), db,
                    events: &events, waited: &waited)
        let missed = try Int.fetchOne(
            db, sql: "UPDATE operators SET missed_offers = missed_offers + 1 WHERE id = ? RETURNING missed_offers", arguments: [operatorId]) ?? 0
        guard missedOffers.limit > 0, let current = try Records.fetchOperator(operatorId, db),
              missedOffers.setsAway(afterMissedInARow: missed, presence: current.presence)
        else { return }
        try setPresence(current, to: .away, reason: .missedOffers, requeue: false, db, events: &events, waited: &waited)
    }
}
