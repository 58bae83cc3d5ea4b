import Foundation
import SwitchboardCore
import SwitchboardStore

/// A replay's floor in its scratch store: the recorded operators and sources made again
/// through the service's own commands, with their presence at the window's start and the
/// changes applied, and the ids of both sides mapped.
struct ReplayFloor {
    /// Recorded id → scratch id, and back. Added operators are reported with ids above the
    /// floor's highest.
    private(set) var operators: [Int64: Int64] = [:]
    private(set) var recordedOperators: [Int64: Int64] = [:]
    private(set) var sources: [Int64: Int64] = [:]
    private(set) var recordedSources: [Int64: Int64] = [:]
    /// Added operators' scratch ids and when they are present (nil: always).
    private(set) var schedules: [(operatorId: Int64, schedule: WorkingHours?)] = []
    /// Scratch operator id → its limit, for utilisation.
    private(set) var limits: [Int64: Int] = [:]

    static func build(_ day: RecordedDay, changes: ReplayChanges, in store: SwitchboardStore) throws -> ReplayFloor {
        var floor = ReplayFloor()
        for op in day.operators.sorted(by: { $0.id < $1.id }) {
            var args = try settings(of: op, changes: changes)
            // One created in the window is not there until its recorded creation.
            args["presence"] = .string((day.presenceAtStart[op.id] ?? .offline).rawValue)
            let made = try floor.createOperator(args, store)
            floor.map(operator: op.id, to: made)
        }
        let highest = day.operators.map(\.id).max() ?? 0
        for (index, added) in changes.addOperators.enumerated() {
            var args = added.args
            if added.schedule.map({ !$0.isOpen(at: day.since) }) ?? false { args["presence"] = .string(Presence.offline.rawValue) }
            let made = try floor.createOperator(args, store)
            floor.map(operator: highest + 1 + Int64(index), to: made)
            floor.schedules.append((made.id, added.schedule))
        }
        for source in day.sources.sorted(by: { $0.id < $1.id }) {
            let args = try settings(of: source, changes: changes)
            guard case let .source(made) = try run("source.create", args, store) else { throw ReplayError.setUp("source \(source.id)") }
            floor.sources[source.id] = made.id
            floor.recordedSources[made.id] = source.id
            try floor.setWeights(of: source, changes: changes, store)
        }
        return floor
    }

    /// An operator's settings as `operator.create` and `operator.update` take them, with the
    /// proposed changes over them: they hold the whole window, recorded changes or not.
    private static func settings(of op: Operator, changes: ReplayChanges) throws -> [String: JSONValue] {
        var args: [String: JSONValue] = [
            "name": .string(op.name), "max_load_limit": .integer(Int64(op.maxLoadLimit)), "is_active": .bool(op.isActive),
            "skills": try json(op.skills), "capacity": try json(op.capacity),
        ]
        args.merge(changes.operators[op.id] ?? [:]) { $1 }
        return args
    }

    /// A source's settings as `source.create` and `source.update` take them (weights apart),
    /// with the proposed changes over them.
    private static func settings(of source: Source, changes: ReplayChanges) throws -> [String: JSONValue] {
        guard case var .object(args) = try json(source) else { throw ReplayError.setUp("source \(source.id)") }
        for key in ["id", "created_at", "weights", "open_now", "next_change_at"] { args[key] = nil }
        args.merge(changes.sources[source.id] ?? [:]) { $1 }
        return args
    }

    /// The scratch store's commands that make a recorded change of settings, in scratch ids.
    func commands(for change: SettingChange, changes: ReplayChanges) throws -> [Command] {
        switch change.subject {
        case let .operator(_, after):
            guard let id = operators[after.id] else { return [] }
            var args = try Self.settings(of: after, changes: changes)
            args["id"] = .integer(id)
            return [try Command.parse(name: "operator.update", args: args).get()]
        case let .source(_, after):
            guard let id = sources[after.id] else { return [] }
            var args = try Self.settings(of: after, changes: changes)
            args["id"] = .integer(id)
            args["identifier"] = nil  // named once, at creation
            return [try Command.parse(name: "source.update", args: args).get()] + (try weights(of: after, changes: changes).map {
                [try Command.parse(name: "source.set_weights", args: $0).get()]
            } ?? [])
        }
    }

    func scratchOperator(_ recorded: Int64) -> Int64? { operators[recorded] }
    func recordedOperator(_ scratch: Int64) -> Int64? { recordedOperators[scratch] }
    func scratchSource(_ recorded: Int64) -> Int64? { sources[recorded] }
    func recordedSource(_ scratch: Int64) -> Int64? { recordedSources[scratch] }

    private mutating func createOperator(_ args: [String: JSONValue], _ store: SwitchboardStore) throws -> Operator {
        guard case let .operator(made) = try Self.run("operator.create", args, store) else { throw ReplayError.setUp("an operator") }
        limits[made.id] = made.maxLoadLimit
        return made
    }

    private mutating func map(operator recorded: Int64, to made: Operator) {
        operators[recorded] = made.id
        recordedOperators[made.id] = recorded
    }

    private func setWeights(of source: Source, changes: ReplayChanges, _ store: SwitchboardStore) throws {
        guard let args = weights(of: source, changes: changes) else { return }
        _ = try Self.run("source.set_weights", args, store)
    }

    /// `source.set_weights`' args: the recorded weights (or the changes' own), in scratch ids,
    /// with the added operators'; nil when there are none.
    private func weights(of source: Source, changes: ReplayChanges) -> [String: JSONValue]? {
        var weights: [(Int64, Int)] = source.weights.map { ($0.operatorId, $0.weight) }
        if case let .array(items)? = changes.sourceWeights[source.id] {
            weights = items.compactMap { item in
                guard case let .object(w) = item, case let .integer(id)? = w["operator_id"], case let .integer(weight)? = w["weight"] else { return nil }
                return (id, Int(weight))
            }
        }
        var scratch: [JSONValue] = weights.compactMap { recorded, weight in
            operators[recorded].map { .object(["operator_id": .integer($0), "weight": .integer(Int64(weight))]) }
        }
        for (index, added) in changes.addOperators.enumerated() {
            guard let weight = added.weights[source.id] else { continue }
            scratch.append(.object(["operator_id": .integer(schedules[index].operatorId), "weight": .integer(Int64(weight))]))
        }
        guard let id = sources[source.id], !scratch.isEmpty else { return nil }
        return ["source_id": .integer(id), "weights": .array(scratch)]
    }

    /// Runs a command on the scratch store; the changes were checked against these same
    /// commands, so a refusal here is the replay's own fault.
    @discardableResult
    static func run(_ name: String, _ args: [String: JSONValue], _ store: SwitchboardStore) throws -> CommandResult {
        let command = try Command.parse(name: name, args: args).get()
        let (result, _) = try store.execute(command)
        return try result.get()
    }

    static func operators(_ store: SwitchboardStore) throws -> [Operator] {
        guard case let .operators(all) = try run("operator.list", [:], store) else { return [] }
        return all
    }

    static func json(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}

/// Why a replay could not run: its own fault, not the input's (which is checked first).
public enum ReplayError: Error, CustomStringConvertible, Sendable {
    case setUp(String)
    /// Deadlines kept falling due at one simulated instant without moving on.
    case stuck(at: Timestamp)

    public var description: String {
        switch self {
        case let .setUp(what): "the replay could not make \(what) again in its scratch store"
        case let .stuck(at): "the replay's deadlines did not move on at \(at)"
        }
    }
}
