import GRDB
import SwitchboardCore

extension SwitchboardStore {
    /// Stores one intake message: dedupe by message id, find or create the user, pick an
    /// operator, insert the request, bump the counters, write its event.
    func intake(_ message: IntakeMessage, messageId: String?, _ db: Database, events: inout [OutboxEvent]) throws -> IntakeOutcome {
        if let messageId, let existing = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT request_id FROM processed_messages WHERE message_id = ?"), arguments: [messageId])
        {
            figures.countIntake(source: try routingTable(db).resolve(message.source)?.1 ?? "unknown", outcome: "duplicate")
            return .duplicate(requestId: existing)
        }
        guard let (sourceId, sourceIdentifier) = try routingTable(db).resolve(message.source) else {
            let named = switch message.source {
            case let .id(id): "source_id \(id)"
            case let .identifier(identifier): "source \"\(identifier)\""
            }
            figures.countIntake(source: "unknown", outcome: "rejected")
            return .rejected(IntakeRejection(.unknownSource, "no source matches \(named)"))
        }
        let userId = try findOrCreateUser(message.userIdentifier, db)
        let operatorId = try pick(for: sourceId, db)
        let time = now()
        let offerSeconds = operatorId == nil ? 0 : try routingTable(db).offerTimeoutSeconds(of: sourceId)
        let status: RequestStatus = operatorId == nil ? .waiting : offerSeconds > 0 ? .offered : .assigned
        let offerExpiresAt = offerSeconds > 0 ? Timestamp(milliseconds: time.milliseconds + Int64(offerSeconds) * 1000) : nil
        try db.cachedStatement(sql: """
            INSERT INTO requests (user_id, source_id, operator_id, message, status, message_id, created_at, assigned_at, offer_expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                userId, sourceId, operatorId, message.message, status.rawValue, messageId, time.milliseconds,
                status == .assigned ? time.milliseconds : nil, offerExpiresAt?.milliseconds,
            ])
        let request = Request(
            id: db.lastInsertedRowID, userId: userId, sourceId: sourceId, operatorId: operatorId, message: message.message,
            status: status, createdAt: time, assignedAt: status == .assigned ? time : nil, closedAt: nil,
            offerExpiresAt: offerExpiresAt)
        counters.sourceRequests[sourceId, default: 0] += 1
        var operatorName: String?
        if let operatorId {
            if let offerExpiresAt {
                counters.operatorOffers[operatorId, default: 0] += 1
                try recordOffer(request.id, to: operatorId, expiresAt: offerExpiresAt.milliseconds, db)
            } else {
                counters.operatorLoad[operatorId, default: 0] += 1
            }
            routing?.adjustLoad(of: operatorId, by: 1)
            operatorName = routing?.name(of: operatorId)
        }
        if let messageId {
            try db.cachedStatement(sql: "INSERT INTO processed_messages (message_id, request_id, processed_at) VALUES (?, ?, ?)")
                .execute(arguments: [messageId, request.id, time.milliseconds])
        }
        let event: EventName = switch status {
        case .offered: .requestOffered
        case .assigned: .requestAssigned
        default: .requestWaiting
        }
        figures.countIntake(source: sourceIdentifier, outcome: status.rawValue)
        events.append(makeEvent(
            event, request: request, userIdentifier: message.userIdentifier, sourceIdentifier: sourceIdentifier,
            operatorName: operatorName, correlationId: messageId, route: status == .offered ? .weighted : nil))
        switch (status, operatorId) {
        case let (.offered, operatorId?): return .offered(requestId: request.id, operatorId: operatorId)
        case let (.assigned, operatorId?): return .assigned(requestId: request.id, operatorId: operatorId)
        default: return .waiting(requestId: request.id)
        }
    }

    private func findOrCreateUser(_ identifier: String, _ db: Database) throws -> Int64 {
        if let cached = userIds[identifier] { return cached }
        let id: Int64
        if let found = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM users WHERE identifier = ?"), arguments: [identifier]) {
            id = found
        } else {
            try db.cachedStatement(sql: "INSERT INTO users (identifier, created_at) VALUES (?, ?)")
                .execute(arguments: [identifier, now().milliseconds])
            id = db.lastInsertedRowID
        }
        if userIds.count >= Self.userCacheLimit { userIds.removeAll(keepingCapacity: true) }
        userIds[identifier] = id
        return id
    }
}
