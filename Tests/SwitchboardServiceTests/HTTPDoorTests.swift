import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// The HTTP door beside the control queue: `switchboardctl --http`, a standby's refusals, and
/// clients too slow to finish a call.
@Suite(.serialized)
struct HTTPDoorTests {
    static let token = "ops-token-0123456789abcdef"
    static let tokens = ["SWITCHBOARD_API_TOKENS": "ops:\(token)", "SWITCHBOARD_ADMIN_USERS": "ops,guest"]

    /// Times differ between two reads of a fresh row's clock columns only by the run.
    static func withoutTimes(_ text: String) -> String {
        text.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, with: "<time>", options: .regularExpression)
            .replacingOccurrences(of: #"up \d+ s"#, with: "up <n> s", options: .regularExpression)
    }

    @Test func switchboardctlPrintsTheSameOverEitherDoor() async throws {
        try await DedicatedThread.run {
            let (service, client, http, prefix) = try HTTPAPITests.start("ctl-http", environment: Self.tokens)
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            let overHTTP = ["--http", "http://127.0.0.1:\(http.port)", "--token", Self.token]
            func both(_ arguments: [String]) throws -> (amqp: CLIResult, http: CLIResult) {
                (try ctl(arguments, prefix: prefix), try ctl(overHTTP + arguments, prefix: prefix))
            }
            // Changes over either door, each answered as the other door answers it.
            #expect(try ctl(["operator", "create", "--name", "Ann", "--max-load", "3"], prefix: prefix).status == 0)
            let bob = try ctl(overHTTP + ["--json", "operator", "create", "--name", "Bob", "--max-load", "2"], prefix: prefix)
            #expect(bob.status == 0 && bob.json?["id"]?.int == 2, "\(bob.stderr)")
            #expect(try ctl(overHTTP + ["source", "create", "--name", "Web", "--identifier", "web"], prefix: prefix).status == 0)
            #expect(try ctl(overHTTP + ["source", "weights", "1", "1=10", "2=10"], prefix: prefix).status == 0)
            let sent = try ctl(overHTTP + ["request", "send", "--user", "u1", "--source", "web", "--message", "hi", "--message-id", "door-1"], prefix: prefix)
            #expect(sent.status == 0 && sent.stdout == "Sent request (message id door-1).\n", "\(sent.stderr)")
            // Over HTTP the request is stored before the answer: listed at once, no polling.
            #expect(try ctl(overHTTP + ["--json", "request", "list"], prefix: prefix).json?.array.count == 1)

            for arguments in [
                ["operator", "list"], ["--json", "operator", "list"], ["operator", "get", "1"], ["source", "list"],
                ["request", "list"], ["--json", "request", "get", "1"], ["stats", "load"], ["stats", "distribution"],
                ["audit"], ["audit", "--command", "source.set_weights"], ["health"],
            ] {
                let (amqp, viaHTTP) = try both(arguments)
                #expect(amqp.status == 0 && viaHTTP.status == 0, "\(arguments): \(amqp.stderr) | \(viaHTTP.stderr)")
                #expect(Self.withoutTimes(amqp.stdout) == Self.withoutTimes(viaHTTP.stdout), "\(arguments)")
            }
            // The same refusal, word for word and with the same exit status.
            for arguments in [["operator", "get", "99"], ["operator", "update", "1", "--max-load", "0"], ["request", "assign", "1", "--operator", "7"]] {
                let (amqp, viaHTTP) = try both(arguments)
                #expect(amqp.status == 1 && viaHTTP.status == 1, "\(arguments)")
                #expect(amqp.stderr == viaHTTP.stderr && amqp.stderr.hasPrefix("error: "), "\(arguments): \(amqp.stderr) | \(viaHTTP.stderr)")
            }
            // A bad intake is refused at once over HTTP, naming the field; nothing is stored.
            let unknown = try ctl(overHTTP + ["request", "send", "--user", "u2", "--source", "nope", "--message", "m"], prefix: prefix)
            #expect(unknown.status == 1 && unknown.stderr.contains("source"), "\(unknown.stderr)")
            let wrongToken = try ctl(["--http", "http://127.0.0.1:\(http.port)", "--token", "not-the-token-at-all", "operator", "list"], prefix: prefix)
            #expect(wrongToken.status == 1 && wrongToken.stderr.contains("unauthorized"), "\(wrongToken.stderr)")
            let nobody = try ctl(["--http", "http://127.0.0.1:\(RawHTTP.freePort())", "operator", "list"], prefix: prefix)
            #expect(nobody.status == 4 && nobody.stderr.contains("cannot reach the HTTP API"), "\(nobody.stderr)")
            let watch = try ctl(overHTTP + ["watch", "--count", "1"], prefix: prefix)
            #expect(watch.status == 2 && watch.stderr.contains("--amqp-url"), "\(watch.stderr)")
            #expect(try client.ok("request.list").array.count == 1, "the refused calls stored nothing")
            let audit = try ctl(["audit", "--command", "operator.create"], prefix: prefix).stdout
            #expect(audit.contains(" amqp ") && audit.contains(" http "), "the audit table shows each call's door: \(audit)")
        }
    }

    /// A standby serves no call: each is answered `503` with its role at once, stores
    /// nothing, and the same call succeeds once the standby has taken over.
    @Test func aStandbyAnswersEveryCall503WithItsRoleUntilItTakesOver() async throws {
        let prefix = uniquePrefix("http-standby")
        let database = temporaryDatabase()
        try await DedicatedThread.run {
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close(); try? deleteTopologyNow(prefix) }
            let active = try ServiceProcess(prefix: prefix, databasePath: database, environment: Self.tokens)
            try #require(try client.waitUntilAnswering(timeout: .seconds(30)), "\(active.output)")
            let standby = try ServiceProcess(prefix: prefix, databasePath: database, environment: Self.tokens)
            defer { _ = standby.terminate(timeout: .seconds(10)) }
            _ = try standby.waitForRole("standby", timeout: .seconds(30))
            let http = try KeepAliveHTTP(port: standby.httpPort)
            let bearer = ["Authorization": "Bearer \(Self.token)", "Idempotency-Key": "standby-create"]
            let create = #"{"name":"Ann","max_load_limit":2}"#

            for (method, path, body) in [("GET", "/health", nil), ("POST", "/api/v1/operators", create), ("GET", "/api/v1/operators", nil),
                                         ("POST", "/api/v1/requests", #"{"user_identifier":"u","source":"web","message":"m"}"#)] {
                let answer = try http.call(method, path, body: body, headers: bearer)
                let json = try JSONParser.parse(answer.body)
                #expect(answer.status == 503, "\(method) \(path)")
                let role = path == "/health" ? json["role"] : json["error"]?["role"]
                #expect(role == "standby", "\(method) \(path): \(json)")
            }
            let ctlAnswer = try ctl(["--http", "http://127.0.0.1:\(standby.httpPort)", "--token", Self.token, "operator", "list"], prefix: prefix)
            #expect(ctlAnswer.status == 3 && ctlAnswer.stderr.contains("standby"), "\(ctlAnswer.stderr)")
            #expect(try client.ok("operator.list").array.isEmpty, "the standby stored nothing")

            active.kill9()
            _ = try standby.waitForRole("active", timeout: .seconds(30))
            let created = try http.call("POST", "/api/v1/operators", body: create, headers: bearer)
            #expect(created.status == 201)
            #expect(try client.ok("operator.list").array.count == 1)
        }
    }

    /// Clients that send half a call, or never read their answers, hold only their own
    /// connection: the writer serves everyone else meanwhile, and each call is stored once
    /// when (and only when) its last byte arrives.
    @Test func slowClientsNeverHoldTheWriterAndTheirCallsAreStoredOnce() async throws {
        try await DedicatedThread.run {
            let (service, client, http, prefix) = try HTTPAPITests.start("http-slow", environment: Self.tokens)
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            let bearer = ["Authorization": "Bearer \(Self.token)"]
            let create = KeepAliveHTTP.request("POST", "/api/v1/operators", body: #"{"name":"Slow","max_load_limit":2}"#,
                                               headers: bearer.merging(["Idempotency-Key": "slow-1"]) { $1 })
            // Half a call: the headers and part of the body, then silence.
            let slow = try KeepAliveHTTP(port: http.port)
            try slow.send(Array(create[..<(create.count - 10)]))
            // A client that pipelines calls and reads none of the answers.
            let deaf = try KeepAliveHTTP(port: http.port)
            let list = KeepAliveHTTP.request("GET", "/api/v1/operators", headers: bearer)
            try deaf.send(Array((0..<200).map { _ in list }.joined()))

            // Meanwhile both doors are served, at once and in order.
            let quick = try KeepAliveHTTP(port: http.port)
            for n in 0..<20 {
                let made = try quick.call("POST", "/api/v1/operators", body: #"{"name":"Quick \#(n)","max_load_limit":1}"#, headers: bearer)
                #expect(made.status == 201)
            }
            try client.ok("operator.create", ["name": "Over AMQP", "max_load_limit": 1])
            #expect(try client.ok("operator.list").array.count == 21, "the half call stored nothing yet")

            // The rest of the body arrives: stored once, and once only when sent again.
            try slow.send(Array(create[(create.count - 10)...]))
            let first = try slow.answer()
            try slow.send(create)
            let again = try slow.answer()
            let firstJSON = try JSONParser.parse(first.body), againJSON = try JSONParser.parse(again.body)
            #expect(first.status == 201 && again.status == 201 && firstJSON == againJSON)
            let names = try client.ok("operator.list").array.compactMap { $0["name"]?.string }
            #expect(names.filter { $0 == "Slow" }.count == 1 && names.count == 22)
            // The deaf client's answers were waiting for it all along.
            let read = try deaf.answer()
            #expect(read.status == 200)
        }
    }
}
