import GRDB
import SwitchboardCore

/// The distribution's view of operators, sources and weights, held in memory by the single
/// writer so that routing a request costs no query even with a thousand operators on a source.
///
/// Only the writer changes these, so the table is exact as long as every change goes
/// through it: intake, assignments and offers update loads in place; commands, which may
/// roll back, drop the table, and it is read again from the database on next use.
struct RoutingTable: Equatable {
    struct OperatorState: Equatable {
        var id: Int64
        var name: String
        var availability: OperatorAvailability
    }

    /// An operator's weight for a source, by the operator's slot in `operators`.
    struct WeightedSlot: Equatable {
        var slot: Int
        var weight: Int
    }

    struct SourceState: Equatable {
        var identifier: String
        var offerTimeoutSeconds: Int
        var weights: [WeightedSlot] = []
    }

    private var operators: [OperatorState] = []
    private var slotOf: [Int64: Int] = [:]
    private var sources: [Int64: SourceState] = [:]
    private var sourceIds: [String: Int64] = [:]

    static func load(_ db: Database) throws -> RoutingTable {
        var table = RoutingTable()
        for row in try Row.fetchAll(db, sql: """
            SELECT id, name, is_active, presence, current_load, max_load_limit FROM operators ORDER BY id
            """) {
            table.slotOf[row[0]] = table.operators.count
            table.operators.append(OperatorState(
                id: row[0], name: row[1],
                availability: OperatorAvailability(isActive: row[2], presence: Presence(rawValue: row[3]) ?? .available,
                                                   load: row[4], limit: row[5])))
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, identifier, offer_timeout_seconds FROM sources") {
            table.sources[row[0]] = SourceState(identifier: row[1], offerTimeoutSeconds: row[2])
            table.sourceIds[row[1]] = row[0]
        }
        for row in try Row.fetchAll(db, sql: "SELECT source_id, operator_id, weight FROM weights ORDER BY source_id, operator_id") {
            guard let slot = table.slotOf[row[1]] else { continue }
            table.sources[row[0]]?.weights.append(WeightedSlot(slot: slot, weight: row[2]))
        }
        return table
    }

    /// The source's id and identifier, or nil if no source matches.
    func resolve(_ reference: SourceReference) -> (id: Int64, identifier: String)? {
        switch reference {
        case let .id(id): sources[id].map { (id, $0.identifier) }
        case let .identifier(identifier): sourceIds[identifier].map { ($0, identifier) }
        }
    }

    /// How long an offer from this source lasts; 0 when the source assigns at once.
    func offerTimeoutSeconds(of sourceId: Int64) -> Int {
        sources[sourceId]?.offerTimeoutSeconds ?? 0
    }

    /// Picks an eligible operator for a request from `sourceId`, leaving out `excluded`
    /// (those offered it in this round), or nil if nobody is eligible.
    func pick<R: RandomNumberGenerator>(for sourceId: Int64, excluding excluded: Set<Int64> = [], using random: inout R) -> Int64? {
        guard let weights = sources[sourceId]?.weights else { return nil }
        let chosen = Distribution.pick(from: weights, using: &random) { entry in
            let state = operators[entry.slot]
            if !excluded.isEmpty, excluded.contains(state.id) { return 0 }
            return state.availability.drawWeight(entry.weight)
        }
        return chosen.map { operators[$0.slot].id }
    }

    mutating func adjustLoad(of operatorId: Int64, by delta: Int) {
        if let slot = slotOf[operatorId] { operators[slot].availability.load += delta }
    }

    mutating func setPresence(of operatorId: Int64, _ presence: Presence) {
        if let slot = slotOf[operatorId] { operators[slot].availability.presence = presence }
    }

    func name(of operatorId: Int64) -> String? {
        slotOf[operatorId].map { operators[$0].name }
    }

    var anyoneHasRoom: Bool {
        operators.contains { $0.availability.canTakeMore }
    }
}

extension SwitchboardStore {
    func routingTable(_ db: Database) throws -> RoutingTable {
        if let routing { return routing }
        let loaded = try RoutingTable.load(db)
        routing = loaded
        return loaded
    }

    /// Whether the table kept in memory says what the database says (tests check it after
    /// every step: a drift would route by loads that are not there).
    func routingTableMatchesDatabase() throws -> Bool {
        guard let routing else { return true }
        return try pool.read { try RoutingTable.load($0) } == routing
    }

    /// Picks through the in-memory table, loading it first if a command dropped it.
    func pick(for sourceId: Int64, excluding excluded: Set<Int64> = [], _ db: Database) throws -> Int64? {
        try routingTable(db).pick(for: sourceId, excluding: excluded, using: &random)
    }
}
