import GRDB
import SwitchboardCore

extension SwitchboardStore {
    /// Stores one intake message: dedupe by message id, find or create the user, pick an
    /// operator, insert the request, bump the counters, write its event.
    func intake(_ message: IntakeMessage, messageId: String?, _ db: Database, events: inout [OutboxEvent]) throws -> IntakeOutcome {
        if let messageId, let existing = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT request_id FROM processed_messages WHERE message_id = ?"), arguments: [messageId])
        {
            return .duplicate(requestId: existing)
        }
        guard let (sourceId, sourceIdentifier) = try resolveSource(message.source, db) else {
            let named = switch message.source {
            case let .id(id): "source_id \(id)"
            case let .identifier(identifier): "source \"\(identifier)\""
            }
            return .rejected(IntakeRejection(.unknownSource, "no source matches \(named)"))
        }
        let userId = try findOrCreateUser(message.userIdentifier, db)
        let operatorId = Distribution.pick(from: try Records.candidates(for: sourceId, db), using: &random)
        let time = now()
        try db.cachedStatement(sql: """
            INSERT INTO requests (user_id, source_id, operator_id, message, status, message_id, created_at, assigned_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                userId, sourceId, operatorId, message.message,
                operatorId == nil ? RequestStatus.waiting.rawValue : RequestStatus.assigned.rawValue,
                messageId, time.milliseconds, operatorId == nil ? nil : time.milliseconds,
            ])
        let request = Request(
            id: db.lastInsertedRowID, userId: userId, sourceId: sourceId, operatorId: operatorId, message: message.message,
            status: operatorId == nil ? .waiting : .assigned, createdAt: time, assignedAt: operatorId == nil ? nil : time,
            closedAt: nil)
        try db.cachedStatement(sql: "UPDATE sources SET request_count = request_count + 1 WHERE id = ?")
            .execute(arguments: [sourceId])
        var operatorName: String?
        if let operatorId {
            operatorName = try String.fetchOne(
                db.cachedStatement(sql: """
                    UPDATE operators SET current_load = current_load + 1, request_count = request_count + 1
                    WHERE id = ? RETURNING name
                    """), arguments: [operatorId])
        }
        if let messageId {
            try db.cachedStatement(sql: "INSERT INTO processed_messages (message_id, request_id, processed_at) VALUES (?, ?, ?)")
                .execute(arguments: [messageId, request.id, time.milliseconds])
        }
        events.append(try appendEvent(
            operatorId == nil ? .requestWaiting : .requestAssigned, request: request,
            userIdentifier: message.userIdentifier, sourceIdentifier: sourceIdentifier, operatorName: operatorName,
            correlationId: messageId, db))
        if let operatorId { return .assigned(requestId: request.id, operatorId: operatorId) }
        return .waiting(requestId: request.id)
    }

    private func resolveSource(_ reference: SourceReference, _ db: Database) throws -> (Int64, String)? {
        let row: Row? = switch reference {
        case let .id(id):
            try Row.fetchOne(db.cachedStatement(sql: "SELECT id, identifier FROM sources WHERE id = ?"), arguments: [id])
        case let .identifier(identifier):
            try Row.fetchOne(db.cachedStatement(sql: "SELECT id, identifier FROM sources WHERE identifier = ?"),
                             arguments: [identifier])
        }
        return row.map { ($0[0], $0[1]) }
    }

    private func findOrCreateUser(_ identifier: String, _ db: Database) throws -> Int64 {
        if let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM users WHERE identifier = ?"), arguments: [identifier]) {
            return id
        }
        try db.cachedStatement(sql: "INSERT INTO users (identifier, created_at) VALUES (?, ?)")
            .execute(arguments: [identifier, now().milliseconds])
        return db.lastInsertedRowID
    }
}
