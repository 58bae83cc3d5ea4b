import Foundation

/// What a successful command returns, one case per result shape of the contract.
public enum CommandResult: Sendable, Equatable, Encodable {
    case `operator`(Operator)
    case operators([Operator])
    case source(Source)
    case sources([Source])
    case request(Request)
    case requests([Request])
    case requestDetail(RequestDetail)
    case deleted(Deleted)
    case operatorsLoad(OperatorsLoad)
    case distribution(RequestsDistribution)
    case status(ServiceStatus)
    case audit([AuditEntry])
    case purge(PurgeSummary)
    case serviceLevel(ServiceLevel)
    case setAside([SetAsideEvent])
    case resent(Resent)
    case replay(ReplayReport)

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .operator(v): try c.encode(v)
        case let .operators(v): try c.encode(v)
        case let .source(v): try c.encode(v)
        case let .sources(v): try c.encode(v)
        case let .request(v): try c.encode(v)
        case let .requests(v): try c.encode(v)
        case let .requestDetail(v): try c.encode(v)
        case let .deleted(v): try c.encode(v)
        case let .operatorsLoad(v): try c.encode(v)
        case let .distribution(v): try c.encode(v)
        case let .status(v): try c.encode(v)
        case let .audit(v): try c.encode(v)
        case let .purge(v): try c.encode(v)
        case let .serviceLevel(v): try c.encode(v)
        case let .setAside(v): try c.encode(v)
        case let .resent(v): try c.encode(v)
        case let .replay(v): try c.encode(v)
        }
    }
}

/// The reply envelope: `{"ok": true, "result": ...}` or `{"ok": false, "error": {...}}`.
public struct Reply: Sendable, Encodable {
    public var outcome: Result<CommandResult, CommandError>

    public init(_ outcome: Result<CommandResult, CommandError>) { self.outcome = outcome }

    enum CodingKeys: String, CodingKey { case ok, result, error }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch outcome {
        case let .success(result):
            try c.encode(true, forKey: .ok)
            try c.encode(result, forKey: .result)
        case let .failure(error):
            try c.encode(false, forKey: .ok)
            try c.encode(error, forKey: .error)
        }
    }

    public func jsonBytes() -> [UInt8] {
        // The reply consoles get most (accept, reject, close, assign), written directly: with
        // JSONEncoder it cost as much as the rest of an accept.
        if case let .success(.request(request)) = outcome {
            var w = JSONWriter(capacity: 400)
            w.beginObject()
            w.key("ok"); w.bool(true)
            w.key("result"); w.request(request)
            w.endObject()
            return w.bytes
        }
        return (try? Array(JSON.encoder.encode(self))) ?? Array(#"{"ok":false,"error":{"code":"internal_error","message":"reply could not be encoded","details":[]}}"#.utf8)
    }
}

/// Shared JSON coders. Both are thread-safe for concurrent use.
public enum JSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder = JSONDecoder()
}

extension Result where Success == CommandResult, Failure == CommandError {
    /// `ok`, or the error's code: a command's outcome as the audit trail and the metrics name it.
    public var code: String {
        switch self {
        case .success: "ok"
        case let .failure(error): error.code.rawValue
        }
    }
}
