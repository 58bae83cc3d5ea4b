import SwitchboardCore

extension SwitchboardStore {
    /// Stores one intake message: dedupe by message id, find or create the user, pick an
    /// operator, insert the request, bump the counters, write its event.
    func intake(_ message: IntakeMessage, messageId: String?, _ db: any SQLDatabase, events: inout [OutboxEvent],
                made: inout [Int64: Request]) throws -> IntakeOutcome {
        if let messageId, let existing = try requestMade(by: messageId, db) {
            figures.countIntake(source: try routingTable(db).resolve(message.source)?.1 ?? "unknown", outcome: "duplicate")
            return .duplicate(requestId: existing)
        }
        guard let (sourceId, sourceIdentifier) = try routingTable(db).resolve(message.source) else {
            let (field, named) = switch message.source {
            case let .id(id): ("source_id", "source_id \(id)")
            case let .identifier(identifier): ("source", "source \"\(identifier)\"")
            }
            figures.countIntake(source: "unknown", outcome: "rejected")
            return .rejected(IntakeRejection(.unknownSource, "no source matches \(named)",
                                             problems: [FieldProblem(field: field, problem: "names no source")]))
        }
        let user = try findOrCreateUser(message.userIdentifier, db)
        let source = try routingTable(db).source(sourceId)
        let requires = message.requires ?? source?.requires ?? []
        let choice = try choose(
            for: RoutingSubject(requestId: nil, userId: user.id, sourceId: sourceId, escalated: false, isNewUser: user.isNew,
                                requirements: requires),
            usual: .weighted, db)
        let operatorId = choice?.operatorId
        let time = now()
        let offerSeconds = operatorId == nil ? 0 : source?.offerTimeoutSeconds ?? 0
        let status: RequestStatus = operatorId == nil ? .waiting : offerSeconds > 0 ? .offered : .assigned
        let offerExpiresAt = offerSeconds > 0 ? Timestamp(milliseconds: time.milliseconds + Int64(offerSeconds) * 1000) : nil
        // After hours its waiting counts from the opening, not from its arrival.
        let opensAt = operatorId == nil ? opensAt(of: sourceId) : nil
        let countsFrom = max(time.milliseconds, opensAt ?? time.milliseconds)
        let maxWait = Int64(source?.maxWaitSeconds ?? 0)
        let escalateAt = maxWait > 0 ? countsFrom + maxWait * 1000 : nil
        let relaxAt = requires.isEmpty ? nil : Relaxation.firstDue(requires: requires, relaxed: [], createdAt: countsFrom)
        let requestId = try lookups.requestIds.next(wanting: lookups.expectedRequests, db)
        try db.write(sql: """
            INSERT INTO requests (id, user_id, source_id, operator_id, message, status, message_id, created_at, assigned_at,
                                  offer_expires_at, priority, route, escalate_at, writer_epoch, requires, relax_at, line_key, opens_at,
                                  first_assigned_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                requestId, user.id, sourceId, operatorId, message.message, status.rawValue, messageId, time.milliseconds,
                status == .assigned ? time.milliseconds : nil, offerExpiresAt?.milliseconds, message.priority,
                choice?.route.rawValue, escalateAt, writerEpoch, CompetencyColumns.text(requires), relaxAt,
                LineKey(sourceId: sourceId, escalated: false, requirements: requires).description, opensAt,
                status == .assigned ? time.milliseconds : nil,
            ])
        var unmatched: [String]?
        if status == .waiting {
            if let escalateAt { deadlines.note(dueAt: escalateAt) }
            if let relaxAt { deadlines.note(dueAt: relaxAt) }
            line.noteWaiting(LineKey(sourceId: sourceId, escalated: false, requirements: requires))
            if !requires.isEmpty { unmatched = try routingTable(db).unmatched(requires) }
        }
        let request = Request(
            id: requestId, userId: user.id, sourceId: sourceId, operatorId: operatorId, message: message.message,
            status: status, createdAt: time, assignedAt: status == .assigned ? time : nil, closedAt: nil,
            offerExpiresAt: offerExpiresAt, priority: message.priority, requires: requires,
            firstAssignedAt: status == .assigned ? time : nil)
        made[requestId] = request
        counters.sourceRequests[sourceId, default: 0] += 1
        var operatorName: String?
        if let operatorId {
            if let offerExpiresAt {
                counters.operatorOffers[operatorId, default: 0] += 1
                try recordOffer(request.id, to: operatorId, expiresAt: offerExpiresAt.milliseconds, db)
            } else {
                counters.operatorLoad[operatorId, default: 0] += 1
            }
            counters.lastAssigned[operatorId] = time.milliseconds
            routing?.adjustLoad(of: operatorId, by: 1, source: sourceId)
            routing?.noteAssigned(operatorId, at: time.milliseconds)
            operatorName = routing?.name(of: operatorId)
        }
        if let messageId {
            try db.write(sql: "INSERT INTO processed_messages (message_id, request_id, processed_at) VALUES (?, ?, ?)",
                         arguments: [messageId, request.id, time.milliseconds])
            lookups.noteRequest(request.id, madeBy: messageId)
        }
        let event: EventName = switch status {
        case .offered: .requestOffered
        case .assigned: .requestAssigned
        default: .requestWaiting
        }
        figures.countIntake(source: sourceIdentifier, outcome: status.rawValue)
        events.append(makeEvent(
            event, request: request, userIdentifier: message.userIdentifier, sourceIdentifier: sourceIdentifier,
            operatorName: operatorName, correlationId: messageId, route: choice?.route, unmatched: unmatched,
            waiting: status == .waiting ? waitingReason(sourceId: sourceId, unmatched: unmatched) : nil))
        switch (status, operatorId) {
        case let (.offered, operatorId?): return .offered(requestId: request.id, operatorId: operatorId)
        case let (.assigned, operatorId?): return .assigned(requestId: request.id, operatorId: operatorId)
        default: return .waiting(requestId: request.id)
        }
    }

    /// The request an intake message id made before, if it did: from the batch's lookups,
    /// or asked when the batch did not look it up.
    private func requestMade(by messageId: String, _ db: any SQLDatabase) throws -> Int64? {
        if let looked = lookups.request(madeBy: messageId) { return looked }
        return try Int64.fetchOne(db, sql: "SELECT request_id FROM processed_messages WHERE message_id = ?", arguments: [messageId])
    }

    /// The user's id, and whether this request is their first (so has no earlier one).
    private func findOrCreateUser(_ identifier: String, _ db: any SQLDatabase) throws -> (id: Int64, isNew: Bool) {
        if let cached = userIds[identifier] { return (cached, false) }
        let id: Int64
        let isNew: Bool
        if !lookups.isAbsent(identifier),
           let found = try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE identifier = ?", arguments: [identifier]) {
            (id, isNew) = (found, false)
        } else {
            let made = try lookups.userIds.next(wanting: lookups.absentUserCount, db)
            try db.write(sql: "INSERT INTO users (id, identifier, created_at) VALUES (?, ?, ?)",
                         arguments: [made, identifier, now().milliseconds])
            lookups.noteUserMade(identifier)
            (id, isNew) = (made, true)
        }
        if userIds.count >= Self.userCacheLimit { userIds.removeAll(keepingCapacity: true) }
        userIds[identifier] = id
        return (id, isNew)
    }
}
