import SwitchboardCore

// The presence record: one row per change, written by the transaction that makes the change,
// kept as long as the audit trail (SWITCHBOARD_RETAIN_AUDIT). Nothing else on the hot path.
extension SwitchboardStore {
    func recordPresence(_ change: PresenceChange, _ db: any SQLDatabase) throws {
        try db.execute(sql: "INSERT INTO presence_changes (at, operator_id, presence, previous, reason) VALUES (?, ?, ?, ?, ?)",
                       arguments: [change.at.milliseconds, change.operatorId, change.presence.rawValue, change.previous?.rawValue,
                                   change.reason.rawValue])
    }

    /// The changes from `since` (inclusive) to `until` (exclusive), oldest first.
    public func presenceChanges(since: Timestamp, until: Timestamp) throws -> [PresenceChange] {
        try read { try Self.presenceChanges(since: since, until: until, $0) }
    }

    static func presenceChanges(since: Timestamp, until: Timestamp, _ db: any SQLDatabase) throws -> [PresenceChange] {
        try SQLRow.fetchAll(db, sql: """
            SELECT at, operator_id, presence, previous, reason FROM presence_changes WHERE at >= ? AND at < ? ORDER BY id
            """, arguments: [since.milliseconds, until.milliseconds]).compactMap { row in
            guard let presence = Presence(rawValue: row[2]), let reason = PresenceChange.Reason(rawValue: row[4]) else { return nil }
            let previous: String? = row[3]
            return PresenceChange(operatorId: row[1], presence: presence, previous: previous.flatMap(Presence.init(rawValue:)),
                                  reason: reason, at: Timestamp(milliseconds: row[0]))
        }
    }
}
