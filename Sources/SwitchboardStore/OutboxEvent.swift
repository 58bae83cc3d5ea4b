import Foundation
import SwitchboardCore

/// An event written in the same transaction as the change it announces, waiting to be
/// published. `body` is the JSON the consoles receive, encoded once.
///
/// The outbox holds one row per transaction with all of its events (newline-delimited
/// JSON), not a row per event: one insert per batch instead of one per request.
public struct OutboxEvent: Sendable, Equatable {
    /// The outbox row holding this event, shared by every event of its transaction.
    public var id: Int64
    public var eventId: String
    public var routingKey: String
    public var correlationId: String?
    public var body: [UInt8]
}

/// What became of published events since the last transaction, written with the next one:
/// outbox rows whose every event the broker confirmed or that were set aside (deleted), rows
/// some of whose events it refused (kept with only those, and when to try them again), and
/// the events set aside once SWITCHBOARD_EVENT_RETRY_FOR had passed (kept in `events_set_aside`).
public struct OutboxSettlement: Sendable, Equatable {
    public var settledRows: [Int64] = []
    public var rescheduled: [RetryRow] = []
    public var setAside: [OutboxEvent] = []

    public init(settledRows: [Int64] = [], rescheduled: [RetryRow] = [], setAside: [OutboxEvent] = []) {
        self.settledRows = settledRows
        self.rescheduled = rescheduled
        self.setAside = setAside
    }

    public var isEmpty: Bool { settledRows.isEmpty && rescheduled.isEmpty && setAside.isEmpty }
}

extension SwitchboardStore {
    /// Events never tried (a crash came between commit and confirm), oldest first, from at
    /// most `limit` transactions after row `afterRow`. Refused ones wait for ``dueRetries(at:rows:events:)``.
    public func unsentEvents(afterRow: Int64 = 0, limit: Int = 100) throws -> [OutboxEvent] {
        try read { db in
            try SQLRow.fetchAll(db, sql: "SELECT id, events FROM outbox WHERE id > ? AND due_at IS NULL ORDER BY id LIMIT ?",
                                arguments: [afterRow, limit])
                .flatMap { row in try Self.decodeOutbox(id: row[0], row[1]) }
        }
    }

    /// Events set aside so far, oldest first.
    public func setAsideEvents(limit: Int = 100) throws -> [OutboxEvent] {
        try read { db in
            try SQLRow.fetchAll(db, sql: """
                SELECT event_id, routing_key, correlation_id, body FROM events_set_aside ORDER BY set_aside_at, event_id LIMIT ?
                """, arguments: [limit])
                .map { OutboxEvent(id: 0, eventId: $0[0], routingKey: $0[1], correlationId: $0[2], body: $0[3]) }
        }
    }

    /// Writes a settlement in a transaction of its own, when no batch is coming to carry it.
    /// A crash before this only means the events are published again on start: consumers
    /// dedupe by `event_id`.
    public func settle(_ settlement: OutboxSettlement) throws {
        guard !settlement.isEmpty else { return }
        try transaction { db in try Self.settle(settlement, db) }
        commitsSinceCheckpoint += 1
    }

    /// Forgets events the broker has confirmed (``settle(_:)`` with rows only).
    public func markSent(_ rows: [Int64]) throws {
        try settle(OutboxSettlement(settledRows: rows))
    }

    /// Nothing to do (and no clock read) for the empty settlement most batches carry.
    static func settle(_ settlement: OutboxSettlement, _ db: any SQLDatabase) throws {
        guard !settlement.isEmpty else { return }
        let now = Timestamp.now()
        for event in settlement.setAside {
            try db.write(sql: """
                INSERT INTO events_set_aside (event_id, routing_key, correlation_id, body, set_aside_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (event_id) DO NOTHING
                """, arguments: [event.eventId, event.routingKey, event.correlationId, event.body, now.milliseconds])
        }
        for row in settlement.rescheduled { try reschedule(row, db) }
        for id in Set(settlement.settledRows) {
            try db.write(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id])
        }
    }

    /// The event, ready to publish; it reaches the outbox with the rest of its transaction's
    /// events (``writeOutbox(_:_:)``).
    func makeEvent(_ name: EventName, request: Request, userIdentifier: String, sourceIdentifier: String,
                   operatorName: String?, correlationId: String?, route: Route? = nil, waitedMs: Int64? = nil,
                   decline: Decline? = nil, dropped: [String]? = nil, unmatched: [String]? = nil, waiting: Waiting? = nil,
                   transfer: TransferNote? = nil) -> OutboxEvent {
        if name == .requestAssigned, let assignedAt = request.assignedAt {
            figures.assignmentWaits.append(assignedAt.milliseconds - request.createdAt.milliseconds)
        }
        let event = Event(
            event: name, eventId: makeEventId(), sequence: sequences.take(), occurredAt: now(),
            request: EventRequest(request: request, userIdentifier: userIdentifier, sourceIdentifier: sourceIdentifier,
                                  operatorName: operatorName),
            route: route, waitedMs: waitedMs, decline: decline, dropped: dropped, unmatched: unmatched, waiting: waiting, transfer: transfer)
        return OutboxEvent(id: 0, eventId: event.eventId, routingKey: name.rawValue, correlationId: correlationId,
                           body: event.jsonBytes())
    }

    /// `operator.presence_changed`: rare, so encoded with `JSONEncoder`.
    func makePresenceEvent(_ event: PresenceEvent) throws -> OutboxEvent {
        OutboxEvent(id: 0, eventId: event.eventId, routingKey: event.event.rawValue, correlationId: nil,
                    body: try Array(JSON.encoder.encode(event)))
    }

    /// Writes a transaction's events as one outbox row and gives each event that row's id.
    static func writeOutbox(_ events: inout [OutboxEvent], _ db: any SQLDatabase, now: Timestamp) throws {
        guard !events.isEmpty else { return }
        let id = try Int64.fetchOne(
            db, sql: "INSERT INTO outbox (event_count, events, created_at) VALUES (?, ?, ?) RETURNING id",
            arguments: [events.count, outboxLines(events), now.milliseconds])!
        for index in events.indices { events[index].id = id }
    }

    /// An outbox row's `events`: one JSON line an event, with what publishing it needs.
    static func outboxLines(_ events: [OutboxEvent]) -> [UInt8] {
        var lines = JSONWriter(capacity: events.count * 700)
        for event in events {
            lines.beginObject()
            lines.key("routing_key"); lines.string(event.routingKey)
            lines.key("correlation_id"); lines.string(event.correlationId)
            lines.key("event"); lines.raw(event.body)
            lines.endObject()
            lines.newline()
        }
        return lines.bytes
    }

    private struct OutboxLine: Decodable {
        var routing_key: String
        var correlation_id: String?
    }

    /// The events of an outbox row, each body the very bytes written (``outboxLines(_:)``
    /// puts it last on its line), so an event published again is the same to the byte.
    static func decodeOutbox(id: Int64, _ bytes: [UInt8]) throws -> [OutboxEvent] {
        let key = Array(#","event":"#.utf8)
        return try bytes.split(separator: UInt8(ascii: "\n")).map { line in
            let decoded = try JSON.decoder.decode(OutboxLine.self, from: Data(line))
            // Inside a JSON string a quote is escaped, so the first `,"event":` is the key.
            let body = line.firstRange(of: key).map { Array(line[$0.upperBound..<line.index(before: line.endIndex)]) } ?? []
            guard case let .object(fields)? = try? JSONParser.parse(body), case let .string(eventId)? = fields["event_id"] else {
                throw StoreCorruption(description: "outbox row \(id) holds an event without event_id")
            }
            return OutboxEvent(id: id, eventId: eventId, routingKey: decoded.routing_key, correlationId: decoded.correlation_id,
                               body: body)
        }
    }
}

/// The database holds what this program never writes: a bug or a hand edit, never retried.
public struct StoreCorruption: Error, CustomStringConvertible {
    public var description: String
}
