import SwitchboardCore

extension SwitchboardStore {
    /// `request.transfer`: an assigned request leaves its operator (no wrap-up) for a
    /// colleague, who must have room now (skills and weights aside, as for a manual
    /// assignment), or for whoever meets new requirements, never the operator it left. It
    /// keeps its age and priority; `request.transferred` comes first, then the usual event.
    func transfer(_ id: Int64, to target: TransferTarget, reason: String?, _ db: any SQLDatabase,
                  events: inout [OutboxEvent]) throws -> Request {
        let request = try Records.requireRequest(id, db)
        guard request.status == .assigned, let from = request.operatorId else {
            throw CommandError(.conflict, "request \(id) is \(request.status.rawValue); only an assigned request is transferred",
                               details: [FieldProblem(field: "id", problem: "request \(id) is \(request.status.rawValue)")])
        }
        if case let .operator(to) = target {
            guard to != from else {
                throw CommandError(.conflict, "request \(id) is already operator \(to)'s",
                                   details: [FieldProblem(field: "operator_id", problem: "is the request's operator")])
            }
            try requireRoom(for: request, on: Records.requireOperator(to, field: "operator_id", db), db)
        }
        // Back to the line in a new round, its operator's slot freed, its place in time kept.
        var requires = request.requires
        var relaxed = request.relaxed
        if case let .requirements(new) = target { (requires, relaxed) = (new, []) }
        let key = LineKey(sourceId: request.sourceId, escalated: request.escalatedAt != nil, requirements: requires)
        try db.execute(sql: """
            UPDATE requests SET status = 'waiting', operator_id = NULL, assigned_at = NULL, offer_round = offer_round + 1,
                transfer_count = transfer_count + 1, first_assigned_at = COALESCE(first_assigned_at, assigned_at),
                transferred_from = ?, requires = ?, relaxed = ?, line_key = ?, relax_at = ?
            WHERE id = ?
            """, arguments: [from, CompetencyColumns.text(requires), CompetencyColumns.text(relaxed), key.description,
                             Relaxation.firstDue(requires: requires, relaxed: relaxed, createdAt: request.createdAt.milliseconds),
                             id])
        try db.execute(sql: "UPDATE operators SET current_load = current_load - 1, request_count = request_count - 1 WHERE id = ?",
                       arguments: [from])
        routing?.adjustLoad(of: from, by: -1, source: request.sourceId)
        let toOperator: Int64? = if case let .operator(to) = target { to } else { nil }
        events.append(try requestEvent(.requestTransferred, id, db,
                                       transfer: TransferNote(fromOperatorId: from, toOperatorId: toOperator, reason: reason)))
        var waited: Set<Int64> = []
        if let toOperator {
            events.append(try give(id, sourceId: request.sourceId, to: OperatorChoice(operatorId: toOperator, route: .manual), db))
        } else {
            try routeAgain(id, sourceId: request.sourceId, db, events: &events, waited: &waited)
        }
        // The slot it left may serve someone waiting (never this request: it is skipped).
        try drainWaiting(db, events: &events, skipping: waited.union([id]))
        return try Records.fetchRequest(id, db)!
    }

    /// An operator chosen by hand must have room for the request: active, available, under
    /// its limit and its capacity for the request's channel; skills and weights aside.
    func requireRoom(for request: Request, on chosen: Operator, _ db: any SQLDatabase) throws {
        let channel = try String.fetchOne(db, sql: "SELECT channel FROM sources WHERE id = ?", arguments: [request.sourceId]) ?? defaultChannel
        if let reason = Eligibility.unavailability(
            chosen.availability, channel: channel, channelLoad: chosen.loadByChannel[channel] ?? 0,
            channelCapacity: chosen.capacity[channel], skills: chosen.skills, requirements: [])
        {
            throw CommandError(.conflict, "operator \(chosen.id) \(reason)",
                               details: [FieldProblem(field: "operator_id", problem: "operator \(reason)")])
        }
    }
}
