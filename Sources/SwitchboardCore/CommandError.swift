/// One bad field of a command: `{"field": "weights[0].weight", "problem": "must be between 1 and 100"}`.
public struct FieldProblem: Sendable, Equatable, Hashable, Codable {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }
}

/// Why a command failed, as the reply's `error` object carries it.
public struct CommandError: Error, Sendable, Equatable, Codable {
    public enum Code: String, Sendable, Codable {
        /// Not JSON, not an object, or an unknown command.
        case badRequest = "bad_request"
        /// One or more fields are wrong; `details` names each.
        case validationError = "validation_error"
        /// An id names nothing.
        case notFound = "not_found"
        /// The command clashes with the current state (taken identifier, busy operator...).
        case conflict
        /// The sender's broker user may not run this command (roles are set); nothing changed.
        case forbidden
        /// Something failed inside the service; the command had no effect.
        case internalError = "internal_error"
    }

    public var code: Code
    public var message: String
    public var details: [FieldProblem]

    public init(_ code: Code, _ message: String, details: [FieldProblem] = []) {
        self.code = code
        self.message = message
        self.details = details
    }

    public static func validation(_ problems: [FieldProblem]) -> CommandError {
        let fields = problems.map(\.field).joined(separator: ", ")
        return CommandError(.validationError, "invalid \(fields)", details: problems)
    }

    public static func notFound(_ what: String, _ id: Int64, field: String) -> CommandError {
        CommandError(.notFound, "\(what) \(id) does not exist", details: [FieldProblem(field: field, problem: "no \(what) with id \(id)")])
    }
}
