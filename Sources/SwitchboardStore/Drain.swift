import SwitchboardCore

extension SwitchboardStore {
    /// Gives waiting requests out (assigned, or offered where their source makes offers),
    /// by priority, then oldest first, while anyone is eligible for them. Runs after anything
    /// that can free capacity: a close, an activation, a raised limit or capacity, new skills
    /// or weights, a reassignment, an offer declined, an operator becoming available, an
    /// escalation or a relaxed requirement. `skipping` holds requests that have just gone back
    /// to the line from an offer: the capacity their decline freed must not hand them
    /// straight back.
    ///
    /// The line is read part by part (``LineKey``: one source, escalated or not, the same
    /// requirements): a part nobody is eligible for is never read, and of the others only
    /// the head, one seek in the `requests_line` index. The best head of all goes first; a
    /// part whose head finds nobody is done, since eligibility only shrinks while draining.
    /// So a drain costs a look at each part and a seek per request given, never a walk of
    /// the whole line.
    func drainWaiting(_ db: any SQLDatabase, events: inout [OutboxEvent], skipping: Set<Int64> = []) throws {
        // Cheap exits for the common cases: nobody waits (no table read, which matters to a
        // command that reshapes the floor), or nobody has room at all.
        let parts = try line.all(db)
        guard !parts.isEmpty, try routingTable(db).anyoneHasRoom else { return }
        var heads: [LineHead] = []
        for key in parts {
            if let head = try head(of: key, skipping: skipping, db) { heads.append(head) }
        }
        // A part whose head finds nobody is done: the rest of it needs the same. Not so when
        // the head may not go back to the operator it was transferred from, the one who may
        // have room: that head alone is passed over, and its part looked at again.
        var passed = skipping
        while let best = heads.indices.min(by: { heads[$0].comesBefore(heads[$1]) }) {
            let head = heads[best]
            if let choice = try choose(for: head.subject, usual: .waitingLine, db) {
                events.append(try give(head.subject.requestId!, sourceId: head.subject.sourceId, to: choice, db))
                guard try routingTable(db).anyoneHasRoom else { return }
            } else if head.subject.leftBy != nil {
                passed.insert(head.subject.requestId!)
            } else {
                heads.remove(at: best)
                continue
            }
            if let next = try self.head(of: head.key, skipping: passed, db) { heads[best] = next } else { heads.remove(at: best) }
        }
    }

    /// The first request of a part not in `skipping`, if anyone is eligible for the part.
    private func head(of key: LineKey, skipping: Set<Int64>, _ db: any SQLDatabase) throws -> LineHead? {
        let needs = RequestNeeds(sourceId: key.sourceId, requirements: key.needs, escalated: key.escalated)
        guard try routingTable(db).anyoneEligible(for: needs), openings.isOpen(key.sourceId) else { return nil }
        let rows = try SQLRow.fetchAll(db, sql: Self.partHead, arguments: [key.description, skipping.count + 1])
        if rows.isEmpty { line.found(empty: key) }
        guard let row = rows.first(where: { !skipping.contains($0[0]) }) else { return nil }
        return LineHead(key: key, priority: row[2], createdAt: row[3], subject: RoutingSubject(
            requestId: row[0], userId: row[1], sourceId: key.sourceId, escalated: key.escalated, requirements: key.needs,
            leftBy: row[4]))
    }

    /// A part's best requests: a seek in the `requests_line` index, never a sort.
    static let partHead = """
        SELECT id, user_id, priority, created_at, transferred_from FROM requests WHERE status = 'waiting' AND line_key = ?
        ORDER BY priority DESC, created_at, id LIMIT ?
        """

    /// Gives a request to an operator (taking it from its current one, if any) and writes the
    /// `request.assigned` event. The caller has checked the operator may take it.
    func assign(_ requestId: Int64, to operatorId: Int64, route: Route, _ db: any SQLDatabase) throws -> OutboxEvent {
        let time = now()
        let row = try SQLRow.fetchOne(db, sql: "SELECT operator_id, source_id, status FROM requests WHERE id = ?", arguments: [requestId])!
        let sourceId: Int64 = row[1]
        if let previous = row[0] as Int64?, row[2] == RequestStatus.assigned.rawValue {
            try db.execute(sql: """
                UPDATE operators SET current_load = current_load - 1, request_count = request_count - 1 WHERE id = ?
                """, arguments: [previous])
            routing?.adjustLoad(of: previous, by: -1, source: sourceId)
        }
        try db.execute(sql: """
            UPDATE requests SET operator_id = ?, status = 'assigned', assigned_at = ?, route = ?,
                first_assigned_at = COALESCE(first_assigned_at, ?), transferred_from = NULL
            WHERE id = ?
            """, arguments: [operatorId, time.milliseconds, route.rawValue, time.milliseconds, requestId])
        try db.execute(sql: """
            UPDATE operators SET current_load = current_load + 1, request_count = request_count + 1, last_assigned_at = ? WHERE id = ?
            """, arguments: [time.milliseconds, operatorId])
        routing?.adjustLoad(of: operatorId, by: 1, source: sourceId)
        routing?.noteAssigned(operatorId, at: time.milliseconds)
        return try requestEvent(.requestAssigned, requestId, db, route: route)
    }

    /// Writes an event for the request as it now stands.
    func requestEvent(_ name: EventName, _ requestId: Int64, _ db: any SQLDatabase, route: Route? = nil, waitedMs: Int64? = nil,
                      decline: Decline? = nil, dropped: [String]? = nil, unmatched: [String]? = nil,
                      waiting: Waiting? = nil, transfer: TransferNote? = nil) throws -> OutboxEvent {
        let request = try Records.fetchRequest(requestId, db)!
        let names = try Records.eventNames(for: request, db)
        return makeEvent(name, request: request, userIdentifier: names.user, sourceIdentifier: names.source,
                         operatorName: names.operator, correlationId: names.messageId, route: route, waitedMs: waitedMs,
                         decline: decline, dropped: dropped, unmatched: unmatched, waiting: waiting, transfer: transfer)
    }
}

/// The first request of a part of the line, and where it stands in the whole line.
struct LineHead {
    var key: LineKey
    var priority: Int
    var createdAt: Int64
    var subject: RoutingSubject

    func comesBefore(_ other: LineHead) -> Bool {
        if priority != other.priority { return priority > other.priority }
        if createdAt != other.createdAt { return createdAt < other.createdAt }
        return subject.requestId! < other.subject.requestId!
    }
}
