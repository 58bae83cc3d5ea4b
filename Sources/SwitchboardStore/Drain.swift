import SwitchboardCore

extension SwitchboardStore {
    /// Gives waiting requests out (assigned, or offered where their source makes offers),
    /// by priority, then oldest first, while anyone is eligible for them. Runs after anything
    /// that can free capacity: a close, an activation, a raised limit, new weights, a
    /// reassignment, an offer declined, an operator becoming available, an escalation that
    /// lets a request overflow. `skipping` holds requests that have just gone back to the
    /// line from an offer: the capacity their decline freed must not hand them straight back.
    ///
    /// The line is read through one partial index on (priority, created_at), a level at a
    /// time from the highest present down, skipping empty levels: never a sort of the whole
    /// line, and one seek when it is empty (every close drains).
    func drainWaiting(_ db: any SQLDatabase, events: inout [OutboxEvent], skipping: Set<Int64> = []) throws {
        // Cheap exit for the common case: nobody has room at all.
        guard try routingTable(db).anyoneHasRoom else { return }
        // Eligibility only shrinks while draining, so a source found without candidates stays
        // so (for its escalated requests, which may overflow, separately).
        var exhausted: Set<ExhaustedSource> = []
        var level = try Int.fetchOne(db, sql: Self.highestLevelBelow, arguments: [Limits.priority.upperBound + 1])
        while let priority = level {
            level = try Int.fetchOne(db, sql: Self.highestLevelBelow, arguments: [priority])
            var after: (createdAt: Int64, id: Int64) = (Int64.min, 0)
            while let row = try SQLRow.fetchOne(db, sql: Self.nextInLine, arguments: [priority, after.createdAt, after.id]) {
                let subject = RoutingSubject(requestId: row[0], userId: row[2], sourceId: row[1], escalated: row[3])
                after = (row[4], row[0])
                let key = ExhaustedSource(sourceId: subject.sourceId, escalated: subject.escalated)
                guard !exhausted.contains(key), !skipping.contains(after.id) else { continue }
                guard let choice = try choose(for: subject, usual: .waitingLine, db) else {
                    exhausted.insert(key)
                    continue
                }
                events.append(try give(after.id, sourceId: subject.sourceId, to: choice, db))
                guard try routingTable(db).anyoneHasRoom else { return }
            }
        }
    }

    /// The oldest waiting request of one priority after a (created_at, id) position: a seek
    /// in the `requests_waiting_line` index, never a sort.
    static let nextInLine = """
        SELECT id, source_id, user_id, escalated_at IS NOT NULL, created_at FROM requests
        WHERE status = 'waiting' AND priority = ? AND (created_at, id) > (?, ?)
        ORDER BY created_at, id LIMIT 1
        """

    /// The highest priority waiting below a level: a seek in the same index.
    static let highestLevelBelow = "SELECT MAX(priority) FROM requests WHERE status = 'waiting' AND priority < ?"

    private struct ExhaustedSource: Hashable {
        var sourceId: Int64
        var escalated: Bool
    }

    /// Gives a request to an operator (taking it from its current one, if any) and writes the
    /// `request.assigned` event. The caller has checked the operator may take it.
    func assign(_ requestId: Int64, to operatorId: Int64, route: Route, _ db: any SQLDatabase) throws -> OutboxEvent {
        let time = now()
        if let previous = try Int64.fetchOne(
            db, sql: "SELECT operator_id FROM requests WHERE id = ? AND status = 'assigned'", arguments: [requestId])
        {
            try db.execute(sql: """
                UPDATE operators SET current_load = current_load - 1, request_count = request_count - 1 WHERE id = ?
                """, arguments: [previous])
            routing?.adjustLoad(of: previous, by: -1)
        }
        try db.execute(sql: """
            UPDATE requests SET operator_id = ?, status = 'assigned', assigned_at = ?, route = ? WHERE id = ?
            """, arguments: [operatorId, time.milliseconds, route.rawValue, requestId])
        try db.execute(sql: """
            UPDATE operators SET current_load = current_load + 1, request_count = request_count + 1 WHERE id = ?
            """, arguments: [operatorId])
        routing?.adjustLoad(of: operatorId, by: 1)
        return try requestEvent(.requestAssigned, requestId, db, route: route)
    }

    /// Writes an event for the request as it now stands.
    func requestEvent(_ name: EventName, _ requestId: Int64, _ db: any SQLDatabase, route: Route? = nil, waitedMs: Int64? = nil,
                      decline: Decline? = nil) throws -> OutboxEvent {
        let request = try Records.fetchRequest(requestId, db)!
        let names = try Records.eventNames(for: request, db)
        return makeEvent(name, request: request, userIdentifier: names.user, sourceIdentifier: names.source,
                         operatorName: names.operator, correlationId: names.messageId, route: route, waitedMs: waitedMs,
                         decline: decline)
    }
}
