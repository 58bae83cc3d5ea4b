import Foundation
import HTTPTypes
import Hummingbird
import SwitchboardCore
import SwitchboardService
import SwitchboardStore

/// The HTTP API (`../shared/CONTRACT.md` "HTTP API"): each call is parsed here into the work
/// item the control queue would make of it, handed to the single writer through its inbox,
/// and answered with what the writer answers. Nothing is decided here that the control
/// queue decides: validation, access, idempotency and audit are the writer's.
struct HTTPAPI: Sendable {
    let inbox: WriterInbox
    let health: ServiceHealth
    let tokens: APITokens
    let bodyLimit: Int
    let reader: ReaderOnDemand

    func register(on router: Router<BasicRequestContext>) {
        for route in APIRoute.all {
            router.on(RouterPath(route.routerPath), method: route.method) { request, context in
                await answer(route, request, context)
            }
        }
        // A method a path does not serve is 405 with the ones it does, not 404.
        let served = Dictionary(grouping: APIRoute.all, by: \.routerPath).mapValues { $0.map(\.method) }
            .merging([APIRoute.commandsRouterPath: [.post], "health": [.get]]) { $0 + $1 }
        for (path, methods) in served {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            for method in APIRoute.answerable where !methods.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ in APIRefusal.methodNotAllowed(allow: allow).response }
            }
        }
        router.post(RouterPath(APIRoute.commandsRouterPath)) { request, context in
            let name = context.parameters.get("command") ?? ""
            return await command(named: name, request, context, pathId: nil, success: .ok)
        }
        router.get("health") { _, _ in
            let phase = health.phase
            return APIAnswer.json(phase.isReady ? .ok : .serviceUnavailable,
                                  ["status": phase.isReady ? "ok" : "unavailable", "role": phase.role, "reason": phase.reason])
        }
    }

    private func answer(_ route: APIRoute, _ request: Request, _ context: BasicRequestContext) async -> Response {
        switch route.action {
        case let .command(name, pathId):
            await command(named: name.rawValue, request, context, pathId: pathId, success: route.success, path: route.path,
                          needsBody: route.needsBody)
        case .intake: await intake(request, context)
        }
    }

    /// Who the call is from, or the refusal: with tokens set, a call must bear a known one.
    private func caller(_ request: Request) -> Result<String?, APIRefusal> {
        guard !tokens.isEmpty else { return .success(nil) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return .failure(.unauthorized("send Authorization: Bearer <token>"))
        }
        guard let user = tokens.user(presenting: header.utf8.dropFirst(7)) else {
            return .failure(.unauthorized("the bearer token is not one of SWITCHBOARD_API_TOKENS"))
        }
        return .success(user)
    }

    /// What every call checks first: the writer serves, the caller is known, and the
    /// idempotency key, when given, is one.
    private func admit(_ request: Request) -> Result<(user: String?, messageId: String?), APIRefusal> {
        let phase = health.phase
        guard phase.isReady else { return .failure(.unavailable(phase.reason, role: phase.role)) }
        let key = request.headers[.idempotencyKey]
        if let key, key.isEmpty || key.utf8.count > 200 {
            return .failure(.badRequest("the Idempotency-Key header must be 1 to 200 characters", field: "Idempotency-Key"))
        }
        return caller(request).map { (user: $0, messageId: key) }
    }

    private func command(named name: String, _ request: Request, _ context: BasicRequestContext, pathId: String?,
                         success: HTTPResponse.Status, path: String = APIRoute.commands, needsBody: Bool = false) async -> Response {
        let admitted: (user: String?, messageId: String?)
        switch admit(request) {
        case let .success(value): admitted = value
        case let .failure(refusal): return refusal.response
        }
        var args: JSONValue?
        do {
            args = request.method == .get ? APIArguments.query(request, path: path) : try await APIArguments.body(request, limit: bodyLimit)
        } catch let refusal as APIRefusal {
            return refusal.response
        } catch {
            return APIRefusal.badRequest("the body could not be read: \(error)", field: nil).response
        }
        if needsBody, args == nil { return APIRefusal.badRequest("this call needs a JSON body with the fields to change", field: nil).response }
        if let pathId, let raw = context.parameters.get("id") {
            args = APIArguments.setting(pathId, to: APIArguments.pathValue(raw), in: args)
        }
        let work = WorkItem.control(Command.read(name: name, args: args), messageId: admitted.messageId, user: admitted.user, via: .http)
        return APIAnswer.response(await inbox.submit(work), success: success)
    }

    /// `POST /api/v1/requests`: intake, answered with the request once stored and routed, as
    /// the writer made it (the original guide's answer: the request's own fields).
    private func intake(_ request: Request, _ context: BasicRequestContext) async -> Response {
        let admitted: (user: String?, messageId: String?)
        switch admit(request) {
        case let .success(value): admitted = value
        case let .failure(refusal): return refusal.response
        }
        let body: [UInt8]
        do {
            body = try await APIArguments.bytes(request, limit: bodyLimit)
        } catch let refusal as APIRefusal {
            return refusal.response
        } catch {
            return APIRefusal.badRequest("the body could not be read: \(error)", field: nil).response
        }
        let message: IntakeMessage
        switch IntakeMessage.parse(body) {
        case let .success(parsed): message = parsed
        case let .failure(rejection): return APIAnswer.rejected(rejection)
        }
        let answer = await inbox.submit(.intake(message, messageId: admitted.messageId))
        guard case let .intake(outcome, made) = answer else { return APIAnswer.response(answer, success: .created) }
        if case let .rejected(rejection) = outcome { return APIAnswer.rejected(rejection) }
        if let made { return APIAnswer.encoded(.created, made) }
        // A repeated Idempotency-Key: the request an earlier batch made, read back.
        guard let id = outcome.requestId else { return APIAnswer.failure(CommandError(.internalError, "intake answered without a request")) }
        do {
            return APIAnswer.encoded(.ok, try reader.requestDetail(id: id).request)
        } catch {
            // Stored and routed: only reading it back failed. Its id says where to look.
            return APIAnswer.encoded(.ok, ["id": id])
        }
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
}
