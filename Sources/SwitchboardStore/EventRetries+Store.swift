import SwitchboardCore

/// An outbox row whose events the broker refused: it holds only those events now, and when
/// to publish them again. Rows wait in the database, not in memory, however many there are.
public struct RetryRow: Sendable, Equatable {
    public var id: Int64
    public var events: [OutboxEvent]
    /// How many times the broker has refused them.
    public var refusals: Int
    /// When it first did: SWITCHBOARD_EVENT_RETRY_FOR counts from here, across restarts.
    public var firstRefusedAt: Timestamp
    public var dueAt: Timestamp

    public init(id: Int64, events: [OutboxEvent], refusals: Int, firstRefusedAt: Timestamp, dueAt: Timestamp) {
        self.id = id
        self.events = events
        self.refusals = refusals
        self.firstRefusedAt = firstRefusedAt
        self.dueAt = dueAt
    }
}

extension SwitchboardStore {
    /// Rows due for another attempt at `now`, earliest first: at most `rows` of them, and no
    /// more once `events` events are read (one row at least), so a round stays short.
    public func dueRetries(at now: Timestamp, rows: Int, events: Int) throws -> [RetryRow] {
        try read { db in
            var found: [RetryRow] = []
            var count = 0
            try db.forEachRow(sql: """
                SELECT id, events, attempts, first_refused_at, due_at FROM outbox
                WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?
                """, arguments: [now.milliseconds, rows]) { row in
                guard count < events else { return }
                let decoded = try Self.decodeOutbox(id: row[0], row[1])
                count += decoded.count
                found.append(RetryRow(id: row[0], events: decoded, refusals: row[2], firstRefusedAt: Timestamp(milliseconds: row[3]),
                                      dueAt: Timestamp(milliseconds: row[4])))
            }
            return found
        }
    }

    /// When the earliest refused row is due; nil when none waits.
    public func nextRetryDue() throws -> Timestamp? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(due_at) FROM outbox WHERE due_at IS NOT NULL").map(Timestamp.init(milliseconds:))
        }
    }

    static let retryingCountQuery = "SELECT COALESCE(SUM(event_count), 0) FROM outbox WHERE due_at IS NOT NULL"
    static let setAsideCountQuery = "SELECT COUNT(*) FROM events_set_aside"

    /// A refused row again as it now stands: its events still refused and their next attempt.
    static func reschedule(_ row: RetryRow, _ db: any SQLDatabase) throws {
        try db.write(sql: """
            UPDATE outbox SET events = ?, event_count = ?, attempts = ?, first_refused_at = ?, due_at = ? WHERE id = ?
            """, arguments: [outboxLines(row.events), row.events.count, row.refusals, row.firstRefusedAt.milliseconds,
                             row.dueAt.milliseconds, row.id])
    }

    /// `events.list_set_aside`: oldest first, by when they were set aside.
    func listSetAside(_ filter: SetAsideFilter, _ db: any SQLDatabase) throws -> [SetAsideEvent] {
        var filtered = Conditions()
        if let key = filter.routingKey { filtered.add("routing_key = ?", [key]) }
        if let after = filter.afterEventId {
            guard let position = try Int64.fetchOne(
                db, sql: "SELECT set_aside_at FROM events_set_aside WHERE event_id = ?", arguments: [after]) else {
                throw CommandError(.notFound, "no set-aside event \(after): it may have been resent",
                                   details: [FieldProblem(field: "after_event_id", problem: "is not a set-aside event")])
            }
            filtered.add("(set_aside_at > ? OR (set_aside_at = ? AND event_id > ?))", [position, position, after])
        }
        var arguments = filtered.arguments
        arguments += [filter.limit]
        return try SQLRow.fetchAll(db, sql: """
            SELECT event_id, routing_key, correlation_id, body, set_aside_at FROM events_set_aside \(filtered.clause)
            ORDER BY set_aside_at, event_id LIMIT ?
            """, arguments: arguments).map { row in
            SetAsideEvent(eventId: row[0], routingKey: row[1], correlationId: row[2], setAsideAt: Timestamp(milliseconds: row[4]),
                          event: (try? JSONParser.parse(row[3] as [UInt8])) ?? .null)
        }
    }

    /// `events.resend`: moves the matching set-aside events back into the outbox, due at
    /// once, with a fresh SWITCHBOARD_EVENT_RETRY_FOR. Each keeps its body, so its `event_id`,
    /// `occurred_at` and `sequence`. At most ``Limits/resendBatch`` a call, in rows of 256.
    func resend(_ selection: ResendSelection, _ db: any SQLDatabase) throws -> Resent {
        var filtered = Conditions()
        if let key = selection.routingKey { filtered.add("routing_key = ?", [key]) }
        if let since = selection.since { filtered.add("set_aside_at >= ?", [since.milliseconds]) }
        if let until = selection.until { filtered.add("set_aside_at < ?", [until.milliseconds]) }
        if let ids = selection.eventIds {
            filtered.add("event_id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))", SQLArguments(ids.map { .text($0) }))
        }
        let matching = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events_set_aside \(filtered.clause)", arguments: filtered.arguments) ?? 0
        let events = try SQLRow.fetchAll(db, sql: """
            SELECT event_id, routing_key, correlation_id, body FROM events_set_aside \(filtered.clause)
            ORDER BY set_aside_at, event_id LIMIT \(Limits.resendBatch)
            """, arguments: filtered.arguments).map { OutboxEvent(id: 0, eventId: $0[0], routingKey: $0[1], correlationId: $0[2], body: $0[3]) }
        let time = Timestamp.now().milliseconds
        for start in stride(from: 0, to: events.count, by: 256) {
            let chunk = Array(events[start..<min(start + 256, events.count)])
            try db.write(sql: """
                INSERT INTO outbox (event_count, events, created_at, due_at, attempts, first_refused_at) VALUES (?, ?, ?, ?, 0, ?)
                """, arguments: [chunk.count, Self.outboxLines(chunk), time, time, time])
            for event in chunk { try db.write(sql: "DELETE FROM events_set_aside WHERE event_id = ?", arguments: [event.eventId]) }
        }
        return Resent(resent: events.count, remaining: matching - events.count)
    }
}

/// A WHERE clause built from the filters a command was given, with their arguments in order.
private struct Conditions {
    private var terms: [String] = []
    private(set) var arguments: SQLArguments = []

    mutating func add(_ term: String, _ values: SQLArguments) {
        terms.append(term)
        arguments += values
    }

    var clause: String { terms.isEmpty ? "" : "WHERE " + terms.joined(separator: " AND ") }
}
