import GRDB
import SwitchboardCore

extension SwitchboardStore {
    /// Gives waiting requests out (assigned, or offered where their source makes offers),
    /// oldest first, while anyone is eligible for them. Runs after anything that can free
    /// capacity: a close, an activation, a raised limit, new weights, a reassignment, an
    /// offer declined, an operator becoming available. `skipping` holds requests that have
    /// just gone back to the line from an offer: the capacity their decline freed must not
    /// hand them straight back.
    func drainWaiting(_ db: Database, events: inout [OutboxEvent], skipping: Set<Int64> = []) throws {
        // Cheap exit for the common case: nobody has room at all.
        guard try routingTable(db).anyoneHasRoom else { return }
        // Eligibility only shrinks while draining, so a source found without candidates stays so.
        var exhausted: Set<Int64> = []
        var afterId: Int64 = 0
        let next = try db.cachedStatement(sql: """
            SELECT id, source_id FROM requests WHERE status = 'waiting' AND id > ? ORDER BY id LIMIT 1
            """)
        while let row = try Row.fetchOne(next, arguments: [afterId]) {
            let requestId: Int64 = row[0]
            let sourceId: Int64 = row[1]
            afterId = requestId
            guard !exhausted.contains(sourceId), !skipping.contains(requestId) else { continue }
            guard let operatorId = try pick(for: sourceId, db) else {
                exhausted.insert(sourceId)
                continue
            }
            events.append(try give(requestId, sourceId: sourceId, to: operatorId, route: .waitingLine, db))
        }
    }

    /// Gives a request to an operator (taking it from its current one, if any) and writes the
    /// `request.assigned` event. The caller has checked the operator may take it.
    func assign(_ requestId: Int64, to operatorId: Int64, _ db: Database) throws -> OutboxEvent {
        let time = now()
        if let previous = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT operator_id FROM requests WHERE id = ? AND status = 'assigned'"),
            arguments: [requestId])
        {
            try db.cachedStatement(sql: """
                UPDATE operators SET current_load = current_load - 1, request_count = request_count - 1 WHERE id = ?
                """).execute(arguments: [previous])
            routing?.adjustLoad(of: previous, by: -1)
        }
        try db.cachedStatement(sql: """
            UPDATE requests SET operator_id = ?, status = 'assigned', assigned_at = ? WHERE id = ?
            """).execute(arguments: [operatorId, time.milliseconds, requestId])
        try db.cachedStatement(sql: """
            UPDATE operators SET current_load = current_load + 1, request_count = request_count + 1 WHERE id = ?
            """).execute(arguments: [operatorId])
        routing?.adjustLoad(of: operatorId, by: 1)
        return try requestEvent(.requestAssigned, requestId, db)
    }

    /// Writes an event for the request as it now stands.
    func requestEvent(_ name: EventName, _ requestId: Int64, _ db: Database, route: Route? = nil,
                      decline: Decline? = nil) throws -> OutboxEvent {
        let request = try Records.fetchRequest(requestId, db)!
        let names = try Records.eventNames(for: request, db)
        return makeEvent(name, request: request, userIdentifier: names.user, sourceIdentifier: names.source,
                         operatorName: names.operator, correlationId: names.messageId, route: route, decline: decline)
    }
}
