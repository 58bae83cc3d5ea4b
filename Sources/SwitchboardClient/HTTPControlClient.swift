import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import SwitchboardCore

/// Why a call over the HTTP API got no command answer.
public enum HTTPCallError: Error, Sendable, CustomStringConvertible {
    /// Nothing answered at the address (refused, unknown host, TLS failure...).
    case unreachable(String)
    /// No answer within the timeout.
    case timeout
    /// The instance does not serve now (`503`): a standby, or a writer reconnecting.
    case unavailable(String)
    /// Refused before the writer saw it (`401`, `405`, `413`), with the answer's code.
    case refused(status: Int, code: String, message: String)

    public var description: String {
        switch self {
        case let .unreachable(why): why
        case .timeout: "no answer in time"
        case let .unavailable(why): why
        case let .refused(status, code, message): "\(status) \(code): \(message)"
        }
    }
}

/// The HTTP API's twin of `ControlClient`: the same commands through
/// `POST /api/v1/commands/{command}` and intake through `POST /api/v1/requests`, answered as
/// the control queue's reply envelope, so a caller prints either door's answer one way.
///
/// Foundation's URLSession (libcurl underneath) rather than a NIO client: one call per run of
/// `switchboardctl` needs no event loop, and it ships with the toolchain.
public struct HTTPControlClient: Sendable {
    public let base: URL
    private let token: String?

    public init(base: URL, token: String?) {
        self.base = base
        self.token = token
    }

    public func call(_ command: String, _ args: [String: JSONValue] = [:], timeout: Duration = .seconds(5)) throws(HTTPCallError) -> ReplyEnvelope {
        let body = (try? JSONEncoder().encode(JSONValue.object(args))) ?? Data("{}".utf8)
        return try send(path: "api/v1/commands/\(command)", body: body, headers: [:], timeout: timeout)
    }

    /// Intake: answered once the request is stored and routed, with the request. The message
    /// id is the `Idempotency-Key`, so sending it again makes nothing new.
    public func sendIntake(_ body: [UInt8], messageId: String, timeout: Duration = .seconds(5)) throws(HTTPCallError) -> ReplyEnvelope {
        try send(path: "api/v1/requests", body: Data(body), headers: ["Idempotency-Key": messageId], timeout: timeout)
    }

    private func send(path: String, body: Data, headers: [String: String], timeout: Duration) throws(HTTPCallError) -> ReplyEnvelope {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (status, data) = try Self.exchange(request, timeout: timeout)
        return try Self.envelope(status: status, data)
    }

    /// The answer as the control queue would have replied, or the reason there is none.
    static func envelope(status: Int, _ data: Data) throws(HTTPCallError) -> ReplyEnvelope {
        let json = try? JSONDecoder().decode(JSONValue.self, from: data)
        if (200..<300).contains(status) { return ReplyEnvelope(ok: true, result: json ?? .null, error: nil) }
        guard case let .object(fields)? = json, case let .object(error)? = fields["error"] else {
            throw .refused(status: status, code: "http_\(status)", message: String(decoding: data.prefix(200), as: UTF8.self))
        }
        if let decoded = try? JSONDecoder().decode(CommandError.self, from: JSONEncoder().encode(JSONValue.object(error))) {
            return ReplyEnvelope(ok: false, result: nil, error: decoded)
        }
        let code = error["code"]?.stringValue ?? "http_\(status)"
        let message = error["message"]?.stringValue ?? "no message"
        if status == 503 {
            throw .unavailable(error["role"]?.stringValue.map { "\(message) (role: \($0))" } ?? message)
        }
        throw .refused(status: status, code: code, message: message)
    }

    /// One exchange, waited for on this thread.
    private static func exchange(_ request: URLRequest, timeout: Duration) throws(HTTPCallError) -> (Int, Data) {
        let answer = Mutex<Result<(Int, Data), HTTPCallError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            let result: Result<(Int, Data), HTTPCallError>
            if let error = error as? URLError, error.code == .timedOut {
                result = .failure(.timeout)
            } else if let error {
                result = .failure(.unreachable(error.localizedDescription))
            } else if let http = response as? HTTPURLResponse {
                result = .success((http.statusCode, data ?? Data()))
            } else {
                result = .failure(.unreachable("the answer is not HTTP"))
            }
            answer.withLock { $0 = result }
            done.signal()
        }
        task.resume()
        // URLSession keeps its own timeout; this one only bounds a session that never calls back.
        if done.wait(timeout: .now() + .milliseconds(Int(timeout.components.seconds) * 1000 + 1000)) == .timedOut {
            task.cancel()
            throw .timeout
        }
        guard let result = answer.withLock({ $0 }) else { throw .timeout }
        return try result.get()
    }
}

private extension JSONValue {
    var stringValue: String? {
        if case let .string(text) = self { return text }
        return nil
    }
}
