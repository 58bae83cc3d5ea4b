import SwitchboardCore

// Offers (../shared/CONTRACT.md, "Offers: accept, decline, expire"): a pick for a source with
// `offer_timeout_seconds` makes an offer that counts in the operator's load until it is
// accepted, rejected, withdrawn or expires; an offer that ends unaccepted sends the request
// on to someone not offered it in this round, or back to the waiting line.

extension SwitchboardStore {
    /// Gives a request to the operator a pick chose: an offer when its source makes offers,
    /// else an assignment.
    func give(_ requestId: Int64, sourceId: Int64, to choice: OperatorChoice, _ db: any SQLDatabase) throws -> OutboxEvent {
        let operatorId = choice.operatorId
        let seconds = try routingTable(db).source(sourceId)?.offerTimeoutSeconds ?? 0
        guard seconds > 0 else { return try assign(requestId, to: operatorId, route: choice.route, db) }
        let time = now().milliseconds
        let expiresAt = time + Int64(seconds) * 1000
        try db.execute(sql: """
            UPDATE requests SET status = 'offered', operator_id = ?, offer_expires_at = ?, route = ? WHERE id = ?
            """, arguments: [operatorId, expiresAt, choice.route.rawValue, requestId])
        try recordOffer(requestId, to: operatorId, expiresAt: expiresAt, db)
        try db.execute(sql: "UPDATE operators SET current_load = current_load + 1, last_assigned_at = ? WHERE id = ?",
                       arguments: [time, operatorId])
        routing?.adjustLoad(of: operatorId, by: 1, source: sourceId)
        routing?.noteAssigned(operatorId, at: time)
        return try requestEvent(.requestOffered, requestId, db, route: choice.route)
    }

    /// Writes the offer's history row (the current round is the request's) and notes its deadline.
    func recordOffer(_ requestId: Int64, to operatorId: Int64, expiresAt: Int64, _ db: any SQLDatabase) throws {
        try db.write(sql: """
            INSERT INTO offers (request_id, round, operator_id, offered_at, expires_at)
            SELECT id, offer_round, ?, ?, ? FROM requests WHERE id = ?
            """, arguments: [operatorId, now().milliseconds, expiresAt, requestId])
        deadlines.note(dueAt: expiresAt)
    }

    /// `request.accept`: the request, on offer to this operator, becomes theirs. The hot
    /// command of a console: cached statements, and the request read once.
    func accept(_ id: Int64, by operatorId: Int64, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws -> Request {
        guard let found = try Records.fetchRequestForEvent(id, db) else { throw CommandError.notFound("request", id, field: "id") }
        var request = found.request
        guard request.status == .offered, request.operatorId == operatorId else { throw try offerConflict(request, operatorId, db) }
        let time = now()
        try endOfferRow(id, operatorId: operatorId, outcome: "accepted", db)
        try db.execute(sql: """
            UPDATE requests SET status = 'assigned', assigned_at = ?, offer_expires_at = NULL,
                first_assigned_at = COALESCE(first_assigned_at, ?), transferred_from = NULL
            WHERE id = ?
            """, arguments: [time.milliseconds, time.milliseconds, id])
        try db.execute(sql: "UPDATE operators SET request_count = request_count + 1, missed_offers = 0, last_assigned_at = ? WHERE id = ?",
                       arguments: [time.milliseconds, operatorId])
        routing?.noteAssigned(operatorId, at: time.milliseconds)
        request.status = .assigned
        request.assignedAt = time
        request.firstAssignedAt = request.firstAssignedAt ?? time
        request.offerExpiresAt = nil
        events.append(makeEvent(.requestAssigned, request: request, userIdentifier: found.user, sourceIdentifier: found.source,
                                operatorName: try routingTable(db).name(of: operatorId), correlationId: found.messageId,
                                route: found.route))
        return request
    }

    /// `request.reject`: the offer ends, and the request goes on to someone else or waits.
    func reject(_ id: Int64, by operatorId: Int64, reason: String?, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws -> Request {
        let request = try Records.requireRequest(id, db)
        guard request.status == .offered, request.operatorId == operatorId else { throw try offerConflict(request, operatorId, db) }
        try db.execute(sql: "UPDATE operators SET missed_offers = 0 WHERE id = ?", arguments: [operatorId])
        var waited: Set<Int64> = []
        try decline(request.id, sourceId: request.sourceId,
                    Decline(operatorId: operatorId, reason: .rejected, rejectionReason: reason), db, events: &events, waited: &waited)
        try drainWaiting(db, events: &events, skipping: waited)
        return try Records.fetchRequest(id, db)!
    }

    /// Why a request is not on offer to this operator, as the conflict its accept or reject
    /// gets (or `not_found` for an operator that does not exist). Only asked when it is not:
    /// one on offer to an operator proves that operator exists, since deleting one with load
    /// is refused.
    private func offerConflict(_ request: Request, _ operatorId: Int64, _ db: any SQLDatabase) throws -> CommandError {
        let id = request.id
        _ = try Records.requireOperator(operatorId, field: "operator_id", db)
        var why: String
        switch (request.status, request.operatorId) {
        case (.closed, _): why = "it is closed"
        case let (.assigned, holder?) where holder == operatorId: why = "it is already assigned to operator \(operatorId)"
        case let (.assigned, holder?): why = "it is assigned to operator \(holder)"
        default:
            why = request.status == .waiting ? "it is waiting" : "it is on offer to operator \(request.operatorId ?? 0)"
            if let row = try SQLRow.fetchOne(db, sql: """
                SELECT outcome, ended_at FROM offers WHERE request_id = ? AND operator_id = ? AND outcome IS NOT NULL
                ORDER BY round DESC LIMIT 1
                """, arguments: [id, operatorId]) {
                let outcome: String = row[0]
                let at = Timestamp(milliseconds: row[1]).description
                let ended = switch outcome {
                case "rejected": "operator \(operatorId) rejected it at \(at)"
                case "expired": "its offer to operator \(operatorId) expired at \(at)"
                default: "its offer to operator \(operatorId) was \(outcome) at \(at)"
                }
                why = "\(ended); \(why)"
            }
        }
        return CommandError(.conflict, "request \(id) is not on offer to operator \(operatorId): \(why)",
                            details: [FieldProblem(field: "operator_id", problem: why)])
    }

    /// Ends an offer unaccepted (`request.offer_declined`), then routes the request again:
    /// to an eligible operator not offered it in this round, or back to the waiting line
    /// (added to `waited`, which the drain that follows leaves alone, so that the load the
    /// decline freed does not hand the request straight back).
    func decline(_ requestId: Int64, sourceId: Int64, _ decline: Decline, _ db: any SQLDatabase,
                 events: inout [OutboxEvent], waited: inout Set<Int64>) throws {
        try endOffer(requestId, sourceId: sourceId, decline, db, events: &events)
        try routeAgain(requestId, sourceId: sourceId, db, events: &events, waited: &waited)
    }

    /// Ends an offer unaccepted: the operator's load drops, the request is waiting again
    /// (until routed), and `request.offer_declined` is written.
    func endOffer(_ requestId: Int64, sourceId: Int64, _ decline: Decline, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws {
        try endOfferRow(requestId, operatorId: decline.operatorId, outcome: decline.reason.rawValue, db)
        try db.execute(sql: """
            UPDATE requests SET status = 'waiting', operator_id = NULL, offer_expires_at = NULL WHERE id = ?
            """, arguments: [requestId])
        try db.execute(sql: "UPDATE operators SET current_load = current_load - 1 WHERE id = ?", arguments: [decline.operatorId])
        routing?.adjustLoad(of: decline.operatorId, by: -1, source: sourceId)
        events.append(try requestEvent(.requestOfferDeclined, requestId, db, decline: decline))
    }

    private func endOfferRow(_ requestId: Int64, operatorId: Int64, outcome: String, _ db: any SQLDatabase) throws {
        try db.execute(sql: """
            UPDATE offers SET outcome = ?, ended_at = ? WHERE request_id = ? AND operator_id = ? AND outcome IS NULL
            """, arguments: [outcome, now().milliseconds, requestId, operatorId])
    }

    /// Routes a request that is back in the waiting state: to an eligible operator not yet
    /// offered it in this round, or it waits, and its next round begins.
    func routeAgain(_ requestId: Int64, sourceId: Int64, _ db: any SQLDatabase, events: inout [OutboxEvent], waited: inout Set<Int64>) throws {
        let offeredThisRound = Set(try Int64.fetchAll(
            db, sql: """
                SELECT o.operator_id FROM offers o JOIN requests r ON r.id = o.request_id AND r.offer_round = o.round
                WHERE o.request_id = ?
                """, arguments: [requestId]))
        if let choice = try choose(for: .stored(requestId, db), usual: .weighted, excluding: offeredThisRound, db) {
            events.append(try give(requestId, sourceId: sourceId, to: choice, db))
            return
        }
        // Back in the line, its escalation and relax deadlines (if still ahead of it) are due again.
        var unmatched: [String]?
        if let row = try SQLRow.fetchOne(
            db, sql: "UPDATE requests SET offer_round = offer_round + 1 WHERE id = ? RETURNING escalate_at, relax_at, line_key",
            arguments: [requestId])
        {
            if let escalateAt = row[0] as Int64? { deadlines.note(dueAt: escalateAt) }
            if let relaxAt = row[1] as Int64? { deadlines.note(dueAt: relaxAt) }
            if let key = (row[2] as String?).flatMap(LineKey.init) {
                line.noteWaiting(key)
                unmatched = try routingTable(db).unmatched(key.needs)
            }
        }
        events.append(try requestEvent(.requestWaiting, requestId, db, unmatched: unmatched,
                                       waiting: waitingReason(sourceId: sourceId, unmatched: unmatched)))
        waited.insert(requestId)
    }

    /// Withdraws every offer outstanding to an operator who can no longer take them, and
    /// routes those requests again at once.
    func withdrawOffers(of operatorId: Int64, _ db: any SQLDatabase, events: inout [OutboxEvent], waited: inout Set<Int64>) throws {
        let offered = try SQLRow.fetchAll(
            db, sql: "SELECT id, source_id FROM requests WHERE operator_id = ? AND status = 'offered' ORDER BY id", arguments: [operatorId])
        for row in offered {
            try decline(row[0], sourceId: row[1], Decline(operatorId: operatorId, reason: .withdrawn), db,
                        events: &events, waited: &waited)
        }
    }

    /// Sends an operator's assigned requests back to routing, oldest first, each in a new round.
    func requeueAssigned(of operatorId: Int64, _ db: any SQLDatabase, events: inout [OutboxEvent], waited: inout Set<Int64>) throws {
        let assigned = try SQLRow.fetchAll(
            db, sql: "SELECT id, source_id FROM requests WHERE operator_id = ? AND status = 'assigned' ORDER BY id", arguments: [operatorId])
        for row in assigned {
            try db.execute(sql: """
                UPDATE requests SET status = 'waiting', operator_id = NULL, assigned_at = NULL, offer_round = offer_round + 1
                WHERE id = ?
                """, arguments: [row[0] as Int64])
            try db.execute(sql: """
                UPDATE operators SET current_load = current_load - 1, request_count = request_count - 1 WHERE id = ?
                """, arguments: [operatorId])
            routing?.adjustLoad(of: operatorId, by: -1, source: row[1])
            try routeAgain(row[0], sourceId: row[1], db, events: &events, waited: &waited)
        }
    }

    /// Sets an operator's presence (writing `operator.presence_changed` when it changes):
    /// leaving `available` withdraws their offers; `offline` with `requeue` also sends their
    /// assigned requests back to routing. Returning to `available` is followed by a drain
    /// (the caller's).
    func setPresence(_ current: Operator, to presence: Presence, reason: PresenceChangeReason, requeue: Bool, _ db: any SQLDatabase,
                     events: inout [OutboxEvent], waited: inout Set<Int64>) throws {
        if current.presence != presence {
            try db.execute(sql: "UPDATE operators SET presence = ?, missed_offers = 0 WHERE id = ?",
                           arguments: [presence.rawValue, current.id])
            routing?.setPresence(of: current.id, presence)
            try recordPresence(PresenceChange(operatorId: current.id, presence: presence, previous: current.presence,
                                              reason: PresenceChange.Reason(reason, requeue: requeue && presence == .offline), at: now()), db)
            let changed = try Records.fetchOperator(current.id, db)!
            events.append(try makePresenceEvent(PresenceEvent(
                eventId: makeEventId(), sequence: sequences.take(), occurredAt: now(), operator: changed, previousPresence: current.presence, reason: reason)))
        }
        if presence != .available { try withdrawOffers(of: current.id, db, events: &events, waited: &waited) }
        if presence == .offline, requeue { try requeueAssigned(of: current.id, db, events: &events, waited: &waited) }
    }
}
