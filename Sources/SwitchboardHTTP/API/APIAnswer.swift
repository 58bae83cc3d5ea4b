import Foundation
import Hummingbird
import SwitchboardCore
import SwitchboardService

/// The writer's answers as HTTP responses: the result itself on success, else the control
/// queue's error object under `error`, with the status its code calls for.
enum APIAnswer {
    static func response(_ answer: WriterAnswer, success: HTTPResponse.Status) -> Response {
        switch answer {
        case let .outcome(.success(result)): return encoded(success, result)
        case let .outcome(.failure(error)): return failure(error)
        case let .repeated(reply): return repeated(reply, success: success)
        case let .unavailable(reason): return APIRefusal.unavailable(reason, role: nil).response
        case let .intake(outcome, _):
            // Only intake answers intake; a command never gets here.
            return failure(CommandError(.internalError, "a command was answered as intake: \(outcome)"))
        }
    }

    /// The status a command error is answered with.
    static func status(of code: CommandError.Code) -> HTTPResponse.Status {
        switch code {
        case .badRequest: .badRequest
        case .validationError: .unprocessableContent
        case .notFound: .notFound
        case .conflict: .conflict
        case .forbidden: .forbidden
        case .internalError: .internalServerError
        }
    }

    static func failure(_ error: CommandError) -> Response {
        encoded(status(of: error.code), ["error": error])
    }

    /// An intake body refused as it stands: not JSON is `400`, a bad field `422`, with the
    /// fields named as a command's are.
    static func rejected(_ rejection: IntakeRejection) -> Response {
        let code: CommandError.Code = switch rejection.code {
        case .invalidJSON: .badRequest
        case .unknownSource: .notFound
        default: .validationError
        }
        return failure(CommandError(code, rejection.reason, details: rejection.problems))
    }

    /// A repeated idempotency key: the first answer again, from the reply the writer kept
    /// (the control queue's envelope, unwrapped).
    static func repeated(_ reply: [UInt8], success: HTTPResponse.Status) -> Response {
        guard case let .object(envelope)? = try? JSONParser.parse(reply) else {
            return failure(CommandError(.internalError, "the first answer to this Idempotency-Key could not be read"))
        }
        if envelope["ok"] == .bool(true) { return encoded(success, envelope["result"] ?? .null) }
        if case let .object(error)? = envelope["error"], case let .string(code)? = error["code"],
           let known = CommandError.Code(rawValue: code) {
            return encoded(status(of: known), ["error": JSONValue.object(error)])
        }
        return failure(CommandError(.internalError, "the first answer to this Idempotency-Key could not be read"))
    }

    static func encoded(_ status: HTTPResponse.Status, _ body: some Encodable) -> Response {
        let bytes = (try? JSON.encoder.encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":"the answer could not be encoded"}}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json(_ status: HTTPResponse.Status, _ body: [String: String?]) -> Response { encoded(status, body) }
}

/// A call refused before it reaches the writer: nothing is stored.
enum APIRefusal: Error {
    case unauthorized(String)
    case badRequest(String, field: String?)
    case tooLarge(limit: Int)
    case unavailable(String, role: String?)
    case methodNotAllowed(allow: String)

    var response: Response {
        switch self {
        case let .methodNotAllowed(allow):
            var response = APIAnswer.encoded(.methodNotAllowed, ["error": Body(code: "method_not_allowed", message: "this path answers \(allow)")])
            response.headers[.allow] = allow
            return response
        case let .unauthorized(message):
            var response = APIAnswer.encoded(.unauthorized, ["error": Body(code: "unauthorized", message: message)])
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        case let .badRequest(message, field):
            return APIAnswer.failure(CommandError(.badRequest, message, details: field.map { [FieldProblem(field: $0, problem: message)] } ?? []))
        case let .tooLarge(limit):
            return APIAnswer.encoded(.contentTooLarge, ["error": Body(
                code: "payload_too_large", message: "the body is over \(limit) bytes (SWITCHBOARD_HTTP_BODY_LIMIT); nothing was stored")])
        case let .unavailable(reason, role):
            var response = APIAnswer.encoded(.serviceUnavailable, ["error": Body(code: "unavailable", message: reason, role: role)])
            response.headers[.retryAfter] = "1"
            return response
        }
    }

    struct Body: Encodable {
        var code: String
        var message: String
        var role: String?
    }
}
