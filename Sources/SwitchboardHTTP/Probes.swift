import Foundation
import Hummingbird
import SwitchboardService

/// `/healthz` and `/readyz`: open to all (orchestrators probe without credentials), JSON
/// bodies that say why.
enum Probes {
    struct Body: Encodable {
        var status: String
        var role: String?
        var reason: String
    }

    /// 200 while the process runs and answers.
    static func health(_ phase: ServicePhase) -> Response {
        json(.ok, Body(status: "alive", role: phase.role, reason: phase.reason))
    }

    /// 200 when consuming with a writable database; 503 with the reason otherwise.
    static func readiness(_ phase: ServicePhase) -> Response {
        phase.isReady
            ? json(.ok, Body(status: "ready", role: phase.role, reason: phase.reason))
            : json(.serviceUnavailable, Body(status: "not_ready", role: phase.role, reason: phase.reason))
    }

    static func json(_ status: HTTPResponse.Status, _ body: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(body)) ?? Data(#"{"status":"error"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
