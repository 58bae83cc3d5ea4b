/// Where `request.transfer` sends a request: to a colleague by id, or to whoever meets the
/// given requirements (which replace the request's own).
public enum TransferTarget: Sendable, Equatable {
    case `operator`(Int64)
    case requirements([Requirement])

    /// Exactly one of `operator_id` and `requires`, the missing or doubled one named.
    static func read(_ r: inout FieldReader) -> TransferTarget? {
        let operatorId = r.id("operator_id", required: false)
        let requires = r.requirements("requires")
        switch (operatorId, requires) {
        case let (id?, nil): return .operator(id)
        case let (nil, requires?): return .requirements(requires)
        case (.some, .some):
            r.problem("requires", "give operator_id or requires, not both")
            return nil
        case (nil, nil):
            if r.problems.isEmpty { r.problem("operator_id", "is required, or requires: a colleague or what the request needs") }
            return nil
        }
    }
}

/// On `request.transferred`: who the request left, who it went to (nil: to whoever meets its
/// new requirements), and why.
public struct TransferNote: Sendable, Equatable {
    public var fromOperatorId: Int64
    public var toOperatorId: Int64?
    public var reason: String?

    public init(fromOperatorId: Int64, toOperatorId: Int64?, reason: String?) {
        self.fromOperatorId = fromOperatorId
        self.toOperatorId = toOperatorId
        self.reason = reason
    }
}
