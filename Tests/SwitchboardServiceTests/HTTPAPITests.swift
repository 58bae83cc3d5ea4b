import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

extension RawHTTP {
    /// A call with a JSON body (or none), closing after the answer.
    func call(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:],
              timeout: Duration = .seconds(20)) throws -> (status: Int, body: String) {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        let (status, text) = try exchange(Array((request + "\r\n" + (body ?? "")).utf8), timeout: timeout)
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (status ?? 0, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    func json(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:],
              timeout: Duration = .seconds(20)) throws -> (Int, JSONValue) {
        let answer = try call(method, path, body: body, headers: headers, timeout: timeout)
        return (answer.status, (try? JSONParser.parse(Array(answer.body.utf8))) ?? .null)
    }
}

/// The HTTP API (`../shared/CONTRACT.md` "HTTP API") against a real service: the original
/// guide verbatim, the document fuzzed, both doors agreeing, and calls refused whole.
@Suite(.serialized)
struct HTTPAPITests {
    static func start(_ label: String, environment: [String: String] = [:]) throws -> (ServiceProcess, ControlClient, RawHTTP, String) {
        let prefix = uniquePrefix(label)
        let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase(), environment: environment)
        let client = ControlClient(url: brokerURL, prefix: prefix)
        guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
        return (service, client, RawHTTP(port: try service.httpListening()), prefix)
    }

    @Test func theOriginalGuidesCurlCallsAndPythonExampleRunUnchanged() async throws {
        let (status, output) = try await DedicatedThread.run { () -> (Int32, String) in
            let (service, client, http, prefix) = try Self.start("guide")
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            return try runScript("guide-check", ["http://127.0.0.1:\(http.port)"])
        }
        print(output.split(separator: "\n").last ?? "")
        #expect(status == 0, "\(output)")
        #expect(output.contains("32 curl calls"), "every curl call of the guide ran: \(output.suffix(200))")
    }

    @Test func schemathesisFindsNoFailureAgainstTheServedDocument() async throws {
        let (status, output) = try await DedicatedThread.run { () -> (Int32, String) in
            let (service, client, http, prefix) = try Self.start("fuzz")
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            let fuzzed = try runScript("fuzz-http", ["http://127.0.0.1:\(http.port)"])
            // Whatever it sent, the service still answers, and every refused call stored nothing twice.
            #expect(try http.get("/readyz").status == 200)
            return fuzzed
        }
        for line in output.split(separator: "\n") where line.hasPrefix("fuzz-http:") || line.contains("openapi-spec-validator") { print(line) }
        #expect(status == 0, "\(output.suffix(4_000))")
        #expect(output.contains("openapi-spec-validator: valid"))
    }

    @Test func bothDoorsLeaveTheSameStateAndPublishTheSameEvents() async throws {
        // The same changes, once over AMQP and once over HTTP, each to a service of its own.
        let changes: [(String, [String: JSONValue])] = [
            ("operator.create", ["name": "Ann", "max_load_limit": 2]),
            ("operator.create", ["name": "Bob", "max_load_limit": 1, "skills": ["billing": 3]]),
            ("source.create", ["name": "Chat", "identifier": "chat", "wrap_up_seconds": 0]),
            ("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10)])]),
            ("operator.update", ["id": 1, "max_load_limit": 3]),
            ("operator.toggle_active", ["id": 2]),
            ("request.close", ["id": 1]),
            ("operator.set_presence", ["id": 1, "presence": "away"]),
        ]
        @Sendable func run(overHTTP: Bool) throws -> (state: [String], events: [String]) {
            let (service, client, http, prefix) = try Self.start(overHTTP ? "doors-http" : "doors-amqp")
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            let watcher = try EventWatcher(url: brokerURL, exchange: Topology(prefix: prefix).events, pattern: "#")
            defer { watcher.close() }
            for (position, (command, args)) in changes.enumerated() {
                if position == 6 {  // a request to close: intake by the door under test
                    if overHTTP {
                        let (status, _) = try http.json("POST", "/api/v1/requests", body: #"{"user_identifier":"u1","source_id":1,"message":"hi"}"#)
                        #expect(status == 201)
                    } else {
                        try client.intake(user: "u1", source: 1, message: "hi")
                        _ = try client.waitForRequests(1)
                    }
                }
                if overHTTP {
                    let body = String(decoding: try JSONEncoder().encode(JSONValue.object(args)), as: UTF8.self)
                    let (status, answer) = try http.json("POST", "/api/v1/commands/\(command)", body: body)
                    #expect(status == 200, "\(command): \(answer)")
                } else {
                    try client.ok(command, args)
                }
            }
            var names: [String] = []
            _ = try? eventually(within: .seconds(20), "the events of both doors") { seen -> Bool? in
                while let event = try watcher.next(timeout: .milliseconds(50)) { names.append(event.routingKey) }
                seen = "\(names)"
                return names.contains("operator.presence_changed") ? true : nil
            }
            let state = try ["operator.list", "source.list", "request.list", "stats.operators_load"].map { command in
                Self.withoutTimes(try client.ok(command))
            }
            return (state, names)
        }
        let (amqp, http) = try await DedicatedThread.run { (try run(overHTTP: false), try run(overHTTP: true)) }
        #expect(amqp.state == http.state)
        #expect(amqp.events == http.events)
    }

    /// A value's JSON with every time blanked: two services never agree on the clock.
    static func withoutTimes(_ value: JSONValue) -> String {
        func blank(_ value: JSONValue) -> JSONValue {
            switch value {
            case let .object(fields):
                .object(fields.reduce(into: [:]) { $0[$1.key] = $1.key.hasSuffix("_at") || $1.key == "at" ? .null : blank($1.value) })
            case let .array(items): .array(items.map(blank))
            default: value
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(blank(value))) ?? Data(), as: UTF8.self)
    }

    @Test func callsAreRefusedWholeWithABadTokenAnOversizedBodyOrACutConnection() async throws {
        let token = "ops-token-\(UUID().uuidString)"
        try await DedicatedThread.run {
            let (service, client, http, prefix) = try Self.start("refusals", environment: [
                "SWITCHBOARD_API_TOKENS": "ops:\(token)", "SWITCHBOARD_ADMIN_USERS": "ops,guest", "SWITCHBOARD_CONSOLE_USERS": "desk",
                "SWITCHBOARD_HTTP_BODY_LIMIT": "2048",
            ])
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            let create = #"{"name":"Ann","max_load_limit":2}"#
            let bearer = ["Authorization": "Bearer \(token)"]
            #expect(try http.call("POST", "/api/v1/operators", body: create).status == 401)
            #expect(try http.call("POST", "/api/v1/operators", body: create, headers: ["Authorization": "Bearer \(token)x"]).status == 401)
            let big = #"{"name":"Ann","max_load_limit":2,"padding":""# + String(repeating: "x", count: 4_096) + #""}"#
            #expect(try http.call("POST", "/api/v1/operators", body: big, headers: bearer).status == 413)
            // A body cut short by a closed connection never reaches the writer.
            _ = try http.exchange(Array("POST /api/v1/operators HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\nAuthorization: Bearer \(token)\r\n\r\n{\"na".utf8),
                                  timeout: .seconds(1), keepReading: { _ in false })
            // The same key twice: one operator, the same answer.
            let key = ["Idempotency-Key": UUID().uuidString].merging(bearer) { $1 }
            let first = try http.json("POST", "/api/v1/operators", body: create, headers: key)
            let again = try http.json("POST", "/api/v1/operators", body: create, headers: key)
            #expect(first.0 == 201 && again.0 == 201 && first.1 == again.1)
            let (status, operators) = try http.json("GET", "/api/v1/operators", headers: bearer)
            #expect(status == 200)
            guard case let .array(list) = operators else { Issue.record("not a list: \(operators)"); return }
            #expect(list.count == 1, "only the keyed call stored an operator: \(list)")
            // The audit trail names the door and the token's user.
            let audit = try client.ok("audit.list", ["command": "operator.create"])
            guard case let .array(rows) = audit, case let .object(row)? = rows.first else { Issue.record("no audit row: \(audit)"); return }
            #expect(rows.count == 1 && row["via"] == "http" && row["user"] == "ops")
            // A caller in no role is refused by the writer, as on AMQP.
            let (refused, _) = try http.json("POST", "/api/v1/commands/service.status")
            #expect(refused == 401)
        }
    }
}
