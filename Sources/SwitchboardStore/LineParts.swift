import SwitchboardCore

/// The parts of the waiting line (``LineKey``) that may hold requests: a superset, kept by
/// the writer as requests join the line and trimmed when a drain finds a part empty. Not
/// known after a failed transaction (a rollback may have put requests back into a part
/// trimmed meanwhile); then read again with one index seek a part.
///
/// A part is trimmed only when a drain reads it, and a drain reads only the parts someone is
/// eligible for: parts nobody can serve would pile up over a long run. So once the set has
/// grown to twice what the last read found (and 256 more), it is read again.
struct LineParts {
    private var keys: Set<LineKey>?
    private var countAtLastRead = 0

    mutating func noteWaiting(_ key: LineKey) {
        guard keys?.insert(key).inserted == true else { return }
        if keys!.count > 2 * countAtLastRead + 256 { keys = nil }
    }

    mutating func found(empty key: LineKey) { keys?.remove(key) }

    mutating func forget() { keys = nil }

    /// Each part's key, walking the `requests_line` index from part to part: a seek each,
    /// however many requests wait in a part.
    mutating func all(_ db: any SQLDatabase) throws -> Set<LineKey> {
        if let keys { return keys }
        var found: Set<LineKey> = []
        var after = ""
        while let next = try String.fetchOne(db, sql: Self.nextPart, arguments: [after]) {
            if let key = LineKey(next) { found.insert(key) }
            after = next
        }
        keys = found
        countAtLastRead = found.count
        return found
    }

    /// `ORDER BY … LIMIT 1` rather than `MIN`: PostgreSQL has no `min(bytea)`.
    static let nextPart = "SELECT line_key FROM requests WHERE status = 'waiting' AND line_key > ? ORDER BY line_key LIMIT 1"
}
