import Foundation
import GRDB
import SwitchboardCore

/// An event written in the same transaction as the change it announces, waiting to be
/// published. `body` is the JSON the consoles receive, encoded once.
public struct OutboxEvent: Sendable, Equatable {
    public var id: Int64
    public var eventId: String
    public var routingKey: String
    public var correlationId: String?
    public var body: [UInt8]
}

extension SwitchboardStore {
    /// Unsent events, oldest first.
    public func unsentEvents(limit: Int = 1_000) throws -> [OutboxEvent] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, event_id, routing_key, correlation_id, body FROM outbox ORDER BY id LIMIT ?",
                arguments: [limit]
            ).map { row in
                OutboxEvent(id: row[0], eventId: row[1], routingKey: row[2], correlationId: row[3], body: [UInt8](row[4] as Data))
            }
        }
    }

    /// Forgets events the broker has confirmed. A crash before this only means they are
    /// published again on start: consumers dedupe by `event_id`.
    public func markSent(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try pool.write { db in try Self.deleteOutbox(ids, db) }
    }

    static func deleteOutbox(_ ids: [Int64], _ db: Database) throws {
        // Ids of one batch are contiguous in practice; a range delete is one index walk.
        let sorted = ids.sorted()
        if let first = sorted.first, let last = sorted.last, last - first + 1 == Int64(sorted.count) {
            try db.execute(sql: "DELETE FROM outbox WHERE id BETWEEN ? AND ?", arguments: [first, last])
        } else {
            for id in sorted { try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id]) }
        }
    }

    func appendEvent(_ name: EventName, request: Request, userIdentifier: String, sourceIdentifier: String,
                     operatorName: String?, correlationId: String?, _ db: Database) throws -> OutboxEvent {
        let event = Event(
            event: name, eventId: makeEventId(), occurredAt: now(),
            request: EventRequest(request: request, userIdentifier: userIdentifier, sourceIdentifier: sourceIdentifier,
                                  operatorName: operatorName))
        let body = event.jsonBytes()
        try db.cachedStatement(sql: """
            INSERT INTO outbox (event_id, routing_key, correlation_id, body, created_at) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [event.eventId, name.rawValue, correlationId, Data(body), event.occurredAt.milliseconds])
        return OutboxEvent(id: db.lastInsertedRowID, eventId: event.eventId, routingKey: name.rawValue,
                           correlationId: correlationId, body: body)
    }
}
