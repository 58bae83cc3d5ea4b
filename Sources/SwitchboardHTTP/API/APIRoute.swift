import Foundation
import Hummingbird
import SwitchboardCore

/// One endpoint of the HTTP API (`../shared/CONTRACT.md` "HTTP API"): the original
/// system's resources, each a control command, and intake. The one list the router, the
/// OpenAPI test read; `POST /api/v1/commands/{command}` (``commands``) adds every command.
struct APIRoute: Sendable {
    enum Action: Sendable {
        /// Runs the command: its args are the body (or the query, for a read), with the
        /// path's `{id}` set as the argument named.
        case command(CommandName, pathId: String? = nil)
        /// Intake: stores and routes a request.
        case intake
    }

    var method: HTTPRequest.Method
    /// As OpenAPI writes it, `{id}` for the path's parameter.
    var path: String
    var action: Action
    /// The status of a success: 201 for what a call creates.
    var success: HTTPResponse.Status = .ok
    /// Whether the call must send a body: an update without one would change nothing.
    var needsBody = false

    static let all: [APIRoute] = [
        APIRoute(method: .post, path: "/api/v1/operators", action: .command(.operatorCreate), success: .created),
        APIRoute(method: .get, path: "/api/v1/operators", action: .command(.operatorList)),
        APIRoute(method: .get, path: "/api/v1/operators/{id}", action: .command(.operatorGet, pathId: "id")),
        APIRoute(method: .put, path: "/api/v1/operators/{id}", action: .command(.operatorUpdate, pathId: "id"), needsBody: true),
        APIRoute(method: .delete, path: "/api/v1/operators/{id}", action: .command(.operatorDelete, pathId: "id")),
        APIRoute(method: .put, path: "/api/v1/operators/{id}/toggle-active", action: .command(.operatorToggleActive, pathId: "id")),
        APIRoute(method: .post, path: "/api/v1/sources", action: .command(.sourceCreate), success: .created),
        APIRoute(method: .get, path: "/api/v1/sources", action: .command(.sourceList)),
        APIRoute(method: .get, path: "/api/v1/sources/{id}", action: .command(.sourceGet, pathId: "id")),
        APIRoute(method: .put, path: "/api/v1/sources/{id}", action: .command(.sourceUpdate, pathId: "id"), needsBody: true),
        APIRoute(method: .post, path: "/api/v1/sources/{id}/operators", action: .command(.sourceSetWeights, pathId: "source_id"), needsBody: true),
        APIRoute(method: .post, path: "/api/v1/requests", action: .intake, success: .created),
        APIRoute(method: .get, path: "/api/v1/requests", action: .command(.requestList)),
        APIRoute(method: .get, path: "/api/v1/requests/{id}", action: .command(.requestGet, pathId: "id")),
        APIRoute(method: .get, path: "/api/v1/stats/operators-load", action: .command(.statsOperatorsLoad)),
        APIRoute(method: .get, path: "/api/v1/stats/requests-distribution", action: .command(.statsRequestsDistribution)),
        APIRoute(method: .get, path: "/api/v1/stats/service-level", action: .command(.statsServiceLevel)),
    ]

    /// Every control command by its name in the path; an unknown name is answered as the
    /// control queue answers it.
    static let commands = "/api/v1/commands/{command}"

    /// The methods a call may come with; one a path does not serve is answered 405.
    static let answerable: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .options, .trace, HTTPRequest.Method("QUERY")!]

    /// The path as Hummingbird's router matches it.
    var routerPath: String { path.replacingOccurrences(of: "{id}", with: ":id") }
    static let commandsRouterPath = commands.replacingOccurrences(of: "{command}", with: ":command")
}
