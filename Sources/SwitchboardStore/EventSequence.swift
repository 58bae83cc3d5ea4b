import SwitchboardCore

/// The `sequence` every event carries: one more for each event the store makes, never
/// handed out twice, across restarts and a standby's takeover. Numbers are reserved in the
/// database a block at a time (`lifetime_totals`' `event_sequence`, the highest number that
/// may have been used), so a transaction writes the reservation once per 10,000 events
/// instead of once per batch; a new opening starts after the last reservation, leaving a gap.
struct EventSequence {
    static let block: Int64 = 10_000
    private(set) var next: Int64
    /// The highest number the database has reserved, as far as this opening knows.
    private var reservedThrough: Int64

    init(reservedThrough: Int64) {
        next = reservedThrough + 1
        self.reservedThrough = reservedThrough
    }

    mutating func take() -> Int64 {
        defer { next += 1 }
        return next
    }

    /// Within the transaction that writes the events taken: reserves past them if needed.
    mutating func reserveTaken(_ db: any SQLDatabase) throws {
        guard next - 1 > reservedThrough else { return }
        let through = next - 1 + Self.block
        try db.write(sql: """
            INSERT INTO lifetime_totals (name, value) VALUES ('event_sequence', ?)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """, arguments: [through])
        reservedThrough = through
    }

    /// The transaction failed: its reservation may not be in the database, so the next one
    /// writes it again. The numbers taken stay taken (a gap, never a repeat).
    mutating func transactionFailed() { reservedThrough = 0 }

    static func load(_ db: any SQLDatabase) throws -> EventSequence {
        EventSequence(reservedThrough: try Int64.fetchOne(db, sql: "SELECT value FROM lifetime_totals WHERE name = 'event_sequence'") ?? 0)
    }
}
