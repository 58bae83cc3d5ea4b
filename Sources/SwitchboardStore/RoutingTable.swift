import GRDB
import SwitchboardCore

/// The distribution's view of operators, sources and weights, held in memory by the single
/// writer so that routing a request costs no query even with a thousand operators on a source.
///
/// Only the writer changes these, so the table is exact as long as every change goes
/// through it: intake and assignments update loads in place; commands, which may roll back,
/// drop the table, and it is read again from the database on next use.
struct RoutingTable {
    struct OperatorState {
        var id: Int64
        var name: String
        var isActive: Bool
        var load: Int
        var limit: Int
    }

    private var operators: [OperatorState] = []
    private var slotOf: [Int64: Int] = [:]
    private var weightsBySource: [Int64: [(slot: Int, weight: Int)]] = [:]
    private var sourceIdentifiers: [Int64: String] = [:]
    private var sourceIds: [String: Int64] = [:]

    static func load(_ db: Database) throws -> RoutingTable {
        var table = RoutingTable()
        for row in try Row.fetchAll(db, sql: "SELECT id, name, is_active, current_load, max_load_limit FROM operators ORDER BY id") {
            table.slotOf[row[0]] = table.operators.count
            table.operators.append(OperatorState(id: row[0], name: row[1], isActive: row[2], load: row[3], limit: row[4]))
        }
        for row in try Row.fetchAll(db, sql: "SELECT source_id, operator_id, weight FROM weights ORDER BY source_id, operator_id") {
            guard let slot = table.slotOf[row[1]] else { continue }
            table.weightsBySource[row[0], default: []].append((slot, row[2]))
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, identifier FROM sources") {
            table.sourceIdentifiers[row[0]] = row[1]
            table.sourceIds[row[1]] = row[0]
        }
        return table
    }

    /// The source's id and identifier, or nil if no source matches.
    func resolve(_ reference: SourceReference) -> (id: Int64, identifier: String)? {
        switch reference {
        case let .id(id): sourceIdentifiers[id].map { (id, $0) }
        case let .identifier(identifier): sourceIds[identifier].map { ($0, identifier) }
        }
    }

    /// Picks an eligible operator for a request from `sourceId`, or nil if nobody is.
    func pick<R: RandomNumberGenerator>(for sourceId: Int64, using random: inout R) -> Int64? {
        guard let weights = weightsBySource[sourceId] else { return nil }
        let chosen = Distribution.pick(from: weights, using: &random) { entry in
            let state = operators[entry.slot]
            return state.isActive && state.load < state.limit ? entry.weight : 0
        }
        return chosen.map { operators[$0.slot].id }
    }

    mutating func adjustLoad(of operatorId: Int64, by delta: Int) {
        if let slot = slotOf[operatorId] { operators[slot].load += delta }
    }

    func name(of operatorId: Int64) -> String? {
        slotOf[operatorId].map { operators[$0].name }
    }

    var anyoneHasRoom: Bool {
        operators.contains { $0.isActive && $0.load < $0.limit }
    }
}

extension SwitchboardStore {
    func routingTable(_ db: Database) throws -> RoutingTable {
        if let routing { return routing }
        let loaded = try RoutingTable.load(db)
        routing = loaded
        return loaded
    }

    /// Picks through the in-memory table, loading it first if a command dropped it.
    func pick(for sourceId: Int64, _ db: Database) throws -> Int64? {
        try routingTable(db).pick(for: sourceId, using: &random)
    }
}
