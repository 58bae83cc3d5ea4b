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
        var maxWaitSeconds: Int
        var overflow: Bool
        var stickySeconds: Int
        var weights: [WeightedSlot] = []
    }

    private var operators: [OperatorState] = []
    private var slotOf: [Int64: Int] = [:]
    private var sources: [Int64: SourceState] = [:]
    private var sourceIds: [String: Int64] = [:]

    static func load(_ db: any SQLDatabase) throws -> RoutingTable {
        var table = RoutingTable()
        for row in try SQLRow.fetchAll(db, sql: """
            SELECT id, name, is_active, presence, current_load, max_load_limit FROM operators ORDER BY id
            """) {
            table.slotOf[row[0]] = table.operators.count
            table.operators.append(OperatorState(
                id: row[0], name: row[1],
                availability: OperatorAvailability(isActive: row[2], presence: Presence(rawValue: row[3]) ?? .available,
                                                   load: row[4], limit: row[5])))
        }
        for row in try SQLRow.fetchAll(db, sql: """
            SELECT id, identifier, offer_timeout_seconds, max_wait_seconds, overflow, sticky_seconds FROM sources
            """) {
            table.sources[row[0]] = SourceState(identifier: row[1], offerTimeoutSeconds: row[2], maxWaitSeconds: row[3],
                                                overflow: row[4], stickySeconds: row[5])
            table.sourceIds[row[1]] = row[0]
        }
        for row in try SQLRow.fetchAll(db, sql: "SELECT source_id, operator_id, weight FROM weights ORDER BY source_id, operator_id") {
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

    /// A source's routing settings and weights, or nil if no source has the id.
    func source(_ sourceId: Int64) -> SourceState? { sources[sourceId] }

    /// Picks an eligible operator for a request from `sourceId`, leaving out `excluded`
    /// (those offered it in this round), or nil if nobody is eligible. With `overflow`,
    /// every operator may be drawn, one without a weight for the source as if weighted 1;
    /// `weighted` says whether the one drawn has a weight for it.
    func pick<R: RandomNumberGenerator>(for sourceId: Int64, overflow: Bool = false, excluding excluded: Set<Int64> = [],
                                        using random: inout R) -> (id: Int64, weighted: Bool)? {
        guard let weights = sources[sourceId]?.weights else { return nil }
        if overflow { return pickOverflowing(weights, excluding: excluded, using: &random) }
        let chosen = Distribution.pick(from: weights, using: &random) { entry in
            let state = operators[entry.slot]
            if !excluded.isEmpty, excluded.contains(state.id) { return 0 }
            return state.availability.drawWeight(entry.weight)
        }
        return chosen.map { (operators[$0.slot].id, true) }
    }

    /// The overflow draw: over all operators, rare enough (escalated requests only) to lay
    /// the weights out per slot each time.
    private func pickOverflowing<R: RandomNumberGenerator>(_ weights: [WeightedSlot], excluding excluded: Set<Int64>,
                                                           using random: inout R) -> (id: Int64, weighted: Bool)? {
        var weightOfSlot = [Int](repeating: 0, count: operators.count)
        for entry in weights { weightOfSlot[entry.slot] = entry.weight }
        let chosen = Distribution.pick(from: operators.indices, using: &random) { slot in
            if excluded.contains(operators[slot].id) { return 0 }
            return operators[slot].availability.drawWeight(max(1, weightOfSlot[slot]))
        }
        return chosen.map { (operators[$0].id, weightOfSlot[$0] > 0) }
    }

    /// Whether the operator may take one more request from the source now: able to take
    /// more, and weighted for the source unless `overflow` lets anyone take it.
    func isEligible(_ operatorId: Int64, for sourceId: Int64, overflow: Bool) -> Bool {
        guard let slot = slotOf[operatorId], let source = sources[sourceId] else { return false }
        let weight = overflow ? 1 : source.weights.first { $0.slot == slot }?.weight ?? 0
        return operators[slot].availability.drawWeight(weight) > 0
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
    func routingTable(_ db: any SQLDatabase) throws -> RoutingTable {
        if let routing { return routing }
        let loaded = try RoutingTable.load(db)
        routing = loaded
        return loaded
    }

    /// Whether the table kept in memory says what the database says (tests check it after
    /// every step: a drift would route by loads that are not there).
    func routingTableMatchesDatabase() throws -> Bool {
        guard let routing else { return true }
        return try read { try RoutingTable.load($0) } == routing
    }

}
