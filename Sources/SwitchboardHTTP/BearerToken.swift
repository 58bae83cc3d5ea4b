import Hummingbird
import SwitchboardCore

/// `SWITCHBOARD_HTTP_TOKEN`: when set, the dashboard, its feed and /metrics need
/// `Authorization: Bearer <token>`; the probes never do.
struct BearerToken: Sendable {
    let token: String?

    func admits(_ request: Request) -> Bool {
        guard let token else { return true }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return APITokens.constantTimeEqual(Array(header.utf8.dropFirst(7)), Array(token.utf8))
    }

    /// The refusal: no data, and the scheme to use.
    func refusal(_ body: [UInt8] = Array(#"{"error":"unauthorized: send Authorization: Bearer <token>"}"#.utf8),
                 contentType: String = "application/json") -> Response {
        Response(status: .unauthorized, headers: [.contentType: contentType, .wwwAuthenticate: "Bearer", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
