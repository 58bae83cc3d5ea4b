/// The what-if replay's changes (`../shared/CONTRACT.md`, "What-if replay"):
/// `{"operators": {"<id>": {operator fields}}, "add_operators": [operator + optional
/// "presence_schedule" and "weights"], "sources": {"<id>": {source fields}}}`.
///
/// Each edit is read by the command that makes it in the service (`operator.update`,
/// `operator.create`, `source.update`, `source.set_weights`), so a bad field is refused with
/// the command's own words, its path inside the changes put in front (`operators.3.max_load_limit`).
public struct ReplayChanges: Sendable, Equatable {
    public struct AddedOperator: Sendable, Equatable {
        /// `operator.create`'s arguments.
        public var args: [String: JSONValue]
        /// When it is present (the `hours` shape); nil: always.
        public var schedule: WorkingHours?
        /// Its weight on each source, by the source's id.
        public var weights: [Int64: Int]
    }

    /// `operator.update`'s arguments, by the operator's recorded id (without `id`).
    public var operators: [Int64: [String: JSONValue]] = [:]
    /// `source.update`'s arguments, by the source's id (without `id` and `weights`).
    public var sources: [Int64: [String: JSONValue]] = [:]
    /// A source's new weights, `source.set_weights`' list with recorded operator ids.
    public var sourceWeights: [Int64: JSONValue] = [:]
    public var addOperators: [AddedOperator] = []

    public init() {}

    public var isEmpty: Bool { operators.isEmpty && sources.isEmpty && sourceWeights.isEmpty && addOperators.isEmpty }

    /// Reads changes against a floor's operator and source ids: every problem named by its
    /// path, all of them at once.
    public static func parse(_ value: JSONValue, operators: Set<Int64>, sources: Set<Int64>) -> Result<ReplayChanges, CommandError> {
        guard case let .object(top) = value else {
            return .failure(.validation([FieldProblem(field: "changes", problem: "must be an object, got \(value.kindName)")]))
        }
        var changes = ReplayChanges()
        var problems: [FieldProblem] = []
        for key in top.keys.sorted() where !["operators", "add_operators", "sources"].contains(key) {
            problems.append(FieldProblem(field: key, problem: "is not one of operators, add_operators, sources"))
        }
        for (key, edit) in members(top["operators"], field: "operators", &problems) {
            guard let id = known(key, in: operators, what: "operator", field: "operators", &problems) else { continue }
            let args = edit.filter { $0.key != "id" }
            problems += checked("operator.update", args.merging(["id": .integer(id)]) { $1 }, prefix: "operators.\(key).")
            changes.operators[id] = args
        }
        for (key, edit) in members(top["sources"], field: "sources", &problems) {
            guard let id = known(key, in: sources, what: "source", field: "sources", &problems) else { continue }
            let args = edit.filter { $0.key != "id" && $0.key != "weights" }
            if let weights = edit["weights"] {
                problems += checked("source.set_weights", ["source_id": .integer(id), "weights": weights], prefix: "sources.\(key).")
                problems += unknownOperators(in: weights, operators: operators, field: "sources.\(key).weights")
                changes.sourceWeights[id] = weights
            }
            // Weights alone are a whole edit; anything else is source.update's.
            guard !args.isEmpty || edit["weights"] == nil else { continue }
            problems += checked("source.update", args.merging(["id": .integer(id)]) { $1 }, prefix: "sources.\(key).")
            changes.sources[id] = args
        }
        if let added = top["add_operators"] {
            if case let .array(items) = added {
                for (index, item) in items.enumerated() {
                    if let operator_ = addedOperator(item, field: "add_operators[\(index)]", sources: sources, &problems) {
                        changes.addOperators.append(operator_)
                    }
                }
            } else {
                problems.append(FieldProblem(field: "add_operators", problem: "must be an array, got \(added.kindName)"))
            }
        }
        return problems.isEmpty ? .success(changes) : .failure(.validation(problems))
    }

    private static func members(_ value: JSONValue?, field: String, _ problems: inout [FieldProblem]) -> [(String, [String: JSONValue])] {
        guard let value else { return [] }
        guard case let .object(members) = value else {
            problems.append(FieldProblem(field: field, problem: "must be an object of edits by id, got \(value.kindName)"))
            return []
        }
        return members.keys.sorted().compactMap { key in
            guard case let .object(edit)? = members[key] else {
                problems.append(FieldProblem(field: "\(field).\(key)", problem: "must be an object of fields"))
                return nil
            }
            return (key, edit)
        }
    }

    private static func known(_ key: String, in ids: Set<Int64>, what: String, field: String, _ problems: inout [FieldProblem]) -> Int64? {
        guard let id = Int64(key), ids.contains(id) else {
            problems.append(FieldProblem(field: "\(field).\(key)", problem: "no \(what) with id \(key)"))
            return nil
        }
        return id
    }

    /// The problems the command that makes an edit finds in it, under the edit's path.
    private static func checked(_ command: String, _ args: [String: JSONValue], prefix: String) -> [FieldProblem] {
        guard case let .failure(error) = Command.parse(name: command, args: args) else { return [] }
        let details = error.details.isEmpty ? [FieldProblem(field: "", problem: error.message)] : error.details
        return details.map { FieldProblem(field: prefix + $0.field, problem: $0.problem) }
            .map { $0.field.hasSuffix(".") ? FieldProblem(field: String($0.field.dropLast()), problem: $0.problem) : $0 }
    }

    private static func unknownOperators(in weights: JSONValue, operators: Set<Int64>, field: String) -> [FieldProblem] {
        guard case let .array(items) = weights else { return [] }
        return items.enumerated().compactMap { index, item in
            guard case let .object(weight) = item, case let .integer(id)? = weight["operator_id"], !operators.contains(id) else { return nil }
            return FieldProblem(field: "\(field)[\(index)].operator_id", problem: "no operator with id \(id)")
        }
    }

    private static func addedOperator(_ item: JSONValue, field: String, sources: Set<Int64>,
                                      _ problems: inout [FieldProblem]) -> AddedOperator? {
        guard case let .object(fields) = item else {
            problems.append(FieldProblem(field: field, problem: "must be an object, got \(item.kindName)"))
            return nil
        }
        let args = fields.filter { $0.key != "presence_schedule" && $0.key != "weights" }
        var found = checked("operator.create", args, prefix: "\(field).")
        var reader = FieldReader(fields, prefix: "\(field).")
        var schedule: WorkingHours?
        switch reader.hours("presence_schedule") {
        case let .set(hours)?: schedule = hours
        case .clear?, nil: schedule = nil
        }
        var weights: [Int64: Int] = [:]
        for (key, value) in (reader.object("weights") ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let id = Int64(key), sources.contains(id) else {
                reader.problem("weights.\(key)", "no source with id \(key)")
                continue
            }
            if let weight = reader.integer(value, field: "weights.\(key)", in: Limits.weight) { weights[id] = weight }
        }
        found += reader.problems
        problems += found
        return found.isEmpty ? AddedOperator(args: args, schedule: schedule, weights: weights) : nil
    }
}
