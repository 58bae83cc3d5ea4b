import Foundation

/// How an intake message names its source: by `source_id` or by `source` (the identifier).
public enum SourceReference: Sendable, Equatable, Hashable {
    case id(Int64)
    case identifier(String)
}

/// A new customer request as an upstream bot publishes it, validated.
public struct IntakeMessage: Sendable, Equatable {
    public var userIdentifier: String
    public var source: SourceReference
    public var message: String
    /// 0…9, higher served first.
    public var priority: Int
    /// What the request needs of its operator; nil: its source's requirements.
    public var requires: [Requirement]?

    public init(userIdentifier: String, source: SourceReference, message: String, priority: Int = 0, requires: [Requirement]? = nil) {
        self.requires = requires
        self.userIdentifier = userIdentifier
        self.source = source
        self.message = message
        self.priority = priority
    }

    /// Parses and validates an intake body. A failure says why in the terms dead-letter
    /// headers carry (`x-switchboard-error`, `x-switchboard-reason`).
    public static func parse(_ body: [UInt8]) -> Result<IntakeMessage, IntakeRejection> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            return .failure(IntakeRejection(.invalidJSON, error.intakeReason))
        }
        guard case let .object(object) = value else {
            return .failure(IntakeRejection(.invalidJSON, "the body must be a JSON object, got \(value.kindName)"))
        }
        var r = FieldReader(object)
        let user = r.text("user_identifier", maxLength: Limits.userIdentifierLength)
        let message = r.text("message", maxLength: Limits.messageLength)
        let source: SourceReference?
        switch (object["source_id"], object["source"]) {
        case (nil, nil), (.null?, nil), (nil, .null?), (.null?, .null?):
            r.problem("source_id", "is required (or give \"source\", the source's identifier)")
            source = nil
        case (let id?, let identifier) where id != .null:
            source = r.id("source_id").map(SourceReference.id)
            // source_id decides; a `source` beside it must still be an identifier.
            if let identifier, identifier != .null { _ = r.identifier("source") }
        default:
            source = r.identifier("source").map(SourceReference.identifier)
        }
        let priority = r.integer("priority", in: Limits.priority, required: false) ?? 0
        let requires = r.requirements("requires")
        guard r.problems.isEmpty, let user, let source, let message else {
            return .failure(rejection(for: r.problems))
        }
        return .success(IntakeMessage(userIdentifier: user, source: source, message: message, priority: priority, requires: requires))
    }

    /// The first problem decides the code; the reason lists them all.
    private static func rejection(for problems: [FieldProblem]) -> IntakeRejection {
        let first = problems.first?.problem ?? ""
        let code: IntakeRejection.Code = first.hasPrefix("is required") ? .missingField
            : first.hasPrefix("must be at most") ? .fieldTooLong : .invalidField
        return IntakeRejection(code, problems.map { "\($0.field) \($0.problem)" }.joined(separator: "; "), problems: problems)
    }
}

extension JSONParseError {
    /// The dead-letter reason for a body that is not acceptable JSON.
    var intakeReason: String {
        switch self {
        case .invalidUTF8: "the body is not valid UTF-8"
        default: "the body is not valid JSON: \(self)"
        }
    }
}

/// Why an intake message was dead-lettered.
public struct IntakeRejection: Error, Sendable, Equatable {
    public enum Code: String, Sendable, CaseIterable {
        case invalidJSON = "invalid_json"
        case missingField = "missing_field"
        case invalidField = "invalid_field"
        case fieldTooLong = "field_too_long"
        case unknownSource = "unknown_source"
    }

    public var code: Code
    public var reason: String
    /// The fields at fault, each named (the HTTP API answers with them).
    public var problems: [FieldProblem]

    public init(_ code: Code, _ reason: String, problems: [FieldProblem] = []) {
        self.code = code
        self.reason = reason
        self.problems = problems
    }
}
