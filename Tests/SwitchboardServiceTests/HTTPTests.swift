import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Synchronization
import Testing

/// The HTTP side of the real `switchboard` executable: probes, /metrics as Prometheus
/// parses it, the token, and requests of every shape.
struct StartFailure: Error, CustomStringConvertible {
    var log: String
    var description: String { "the service did not start:\n\(log)" }
}

/// A tool a test runs (mount, a project script) failed: what ran, and what it said.
struct ToolFailure: Error, CustomStringConvertible {
    var command: String
    var output: String
    var description: String { "\(command) failed: \(output)" }
}

@Suite struct HTTPTests {
    static let token = "t0k3n-\(UUID().uuidString.prefix(8))"

    /// Starts the service with a token, sets up two operators (capacity 5 in all) and a
    /// source, and gives the HTTP port.
    static func start(_ label: String) throws -> (ServiceProcess, ControlClient, Int, String) {
        let prefix = uniquePrefix(label)
        let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase(), environment: ["SWITCHBOARD_HTTP_TOKEN": token])
        let client = ControlClient(url: brokerURL, prefix: prefix)
        guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
        let port = try service.httpListening()
        try client.ok("operator.create", ["name": "Ann", "max_load_limit": 2])
        try client.ok("operator.create", ["name": "Bob", "max_load_limit": 3])
        try client.ok("source.create", ["name": "Chat", "identifier": "chat"])
        try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10)])])
        return (service, client, port, prefix)
    }

    @Test func metricsCountWhatWasSentAndAgreeWithTheServiceStatus() async throws {
        let (samples, status) = try await DedicatedThread.run { () -> ([PrometheusSample], JSONValue) in
            let (service, client, port, prefix) = try Self.start("http-metrics")
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)) }
            let http = RawHTTP(port: port)
            // 7 requests for 5 places: 5 assigned, 2 wait; one names no source (dead letter).
            for n in 0..<7 { try client.intake(user: "u\(n)", source: "chat") }
            try client.sendIntake(Array(#"{"user_identifier":"x","source":"nowhere","message":"m"}"#.utf8))
            _ = try client.error("operator.get", ["id": 99])
            let auth = ["Authorization": "Bearer \(Self.token)"]
            var samples: [PrometheusSample] = []
            _ = try? eventually(within: .seconds(20), every: .milliseconds(100), "a dead letter and 2 waiting in /metrics") { _ -> Bool? in
                let previous = samples
                samples = parsePrometheus(try http.get("/metrics", headers: auth).body)
                expectNoCounterWentDown(from: previous, to: samples)
                return samples.value("switchboard_dead_letters_total", ["code": "unknown_source"]) == 1
                    && samples.value("switchboard_requests_total", ["source": "chat", "outcome": "waiting"]) == 2 ? true : nil
            }
            let status = try client.ok("service.status")
            // Scraped before the topology goes: without its queues the service is no longer active.
            let final = parsePrometheus(try http.get("/metrics", headers: auth).body)
            try deleteTopologyNow(prefix)
            return (final, status)
        }
        #expect(samples.value("switchboard_requests_total", ["source": "chat", "outcome": "assigned"]) == 5)
        #expect(samples.value("switchboard_requests_total", ["source": "chat", "outcome": "waiting"]) == 2)
        #expect(samples.value("switchboard_requests_total", ["source": "unknown", "outcome": "rejected"]) == 1)
        #expect(samples.value("switchboard_dead_letters_total", ["code": "unknown_source"]) == 1)
        #expect(samples.value("switchboard_events_total", ["type": "request.assigned"]) == 5)
        #expect(samples.value("switchboard_commands_total", ["command": "operator.create", "outcome": "ok"]) == 2)
        #expect(samples.value("switchboard_commands_total", ["command": "operator.get", "outcome": "not_found"]) == 1)
        #expect(samples.sum("switchboard_waiting_requests") == Double(status["waiting_count"]?.int ?? -1))
        #expect(samples.value("switchboard_waiting_requests", ["reason": "no_capacity"]) == 2)
        #expect(samples.value("switchboard_waiting_requests", ["reason": "unmatched"]) == 0)
        #expect((samples.value("switchboard_oldest_waiting_seconds") ?? -1) >= 0)
        #expect(samples.value("switchboard_operator_load", ["operator_id": "1"]) == 2)
        #expect(samples.value("switchboard_operator_capacity", ["operator_id": "2"]) == 3)
        #expect(samples.value("switchboard_operators", ["presence": "available"]) == 2)
        #expect(samples.value("switchboard_time_to_assign_seconds_count") == 5)
        #expect(samples.value("switchboard_outbox_pending") == 0)
        #expect(samples.value("switchboard_active") == 1, "the only instance is the active one")
        #expect((samples.value("switchboard_transaction_seconds_count") ?? 0) >= 1)
    }

    @Test func probesAreOpenAndEverythingElseNeedsTheToken() async throws {
        try await DedicatedThread.run {
            let (service, client, port, prefix) = try Self.start("http-token")
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)) }
            let http = RawHTTP(port: port)
            let health = try http.get("/healthz")
            #expect(health.status == 200)
            #expect(health.body.contains(#""status":"alive""#))
            let ready = try http.get("/readyz")
            #expect(ready.status == 200, "\(ready.body)")
            #expect(ready.body.contains(#""role":"active""#))
            for path in ["/metrics", "/", "/feed"] {
                for headers in [[:], ["Authorization": "Bearer wrong"], ["Authorization": Self.token]] {
                    let refused = try http.get(path, headers: headers)
                    #expect(refused.status == 401, "\(path) with \(headers)")
                    #expect(!refused.body.contains("Ann") && !refused.body.contains("switchboard_"), "no data in a refusal: \(refused.body)")
                }
            }
            let page = try http.get("/", headers: ["Authorization": "Bearer \(Self.token)"])
            #expect(page.status == 200)
            #expect(page.body.contains("<th scope=\"col\">Operator</th>"))
            try deleteTopologyNow(prefix)
        }
    }

    @Test func requestsOfEveryShapeGetA4xxAndTheServiceStaysUp() async throws {
        try await DedicatedThread.run {
            let (service, client, port, prefix) = try Self.start("http-shapes")
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)) }
            let http = RawHTTP(port: port)
            let huge = String(repeating: "a", count: 200_000)
            let shapes: [(String, [UInt8])] = [
                ("an unknown path", Array("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)),
                ("a huge query", Array("GET /metrics?\(huge) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)),
                ("a huge header", Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(huge)\r\nConnection: close\r\n\r\n".utf8)),
                ("a body on a GET route", Array("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\nConnection: close\r\n\r\n\(huge)".utf8)),
                ("a lying length", Array("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8)),
                ("garbage", (0..<4_096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }),
                ("U+0000 in the path", Array("GET /\u{0}x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)),
            ]
            for (what, bytes) in shapes {
                let (status, text) = try http.exchange(bytes)
                #expect(status.map { (400..<500).contains($0) } == true, "\(what): \(text.prefix(200))")
                #expect(try http.get("/healthz").status == 200, "the service still answers after \(what)")
            }
            #expect(try client.ok("service.status")["status"]?.string == "ok", "and still routes")
            try deleteTopologyNow(prefix)
        }
    }

    @Test func sigtermWithTheLiveFeedOpenEndsTheFeedAndExitsCleanly() async throws {
        try await DedicatedThread.run {
            let (service, client, port, prefix) = try Self.start("http-sigterm")
            defer { client.close() }
            let feed = FeedProgress()
            let watcher = Thread {
                let request = "GET /feed HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(Self.token)\r\n\r\n"
                // Reads until the server ends the stream (or 30 s of silence, which fails below).
                _ = try? RawHTTP(port: port).exchange(Array(request.utf8), timeout: .seconds(30)) { count in
                    feed.received.add(count, ordering: .relaxed)
                    return true
                }
                feed.ended.store(true, ordering: .releasing)
            }
            watcher.start()
            _ = try? eventually(within: .seconds(10), every: .milliseconds(20), "the feed's first frame") { _ in
                feed.received.load(ordering: .relaxed) > 0 ? true : nil
            }
            let firstFrame = feed.received.load(ordering: .relaxed)
            #expect(firstFrame > 0, "the feed sent its first frame")

            let status = service.terminate(timeout: .seconds(10))
            #expect(status == 0, "exit status \(String(describing: status)); log:\n\(service.output.suffix(2_000))")
            _ = try? eventually(within: .seconds(5), every: .milliseconds(20), "the feed's connection closed") { _ in
                feed.ended.load(ordering: .acquiring) ? true : nil
            }
            let ended = feed.ended.load(ordering: .acquiring)
            #expect(ended, "the feed's connection was closed, not left hanging")
            try deleteTopologyNow(prefix)
        }
    }
}

/// What a feed-watching thread saw, read by the test's thread.
final class FeedProgress: Sendable {
    let received = Atomic(0)
    let ended = Atomic(false)
}

/// Counters, and a histogram's buckets, count and sum, never go down between two scrapes of
/// one process.
func expectNoCounterWentDown(from before: [PrometheusSample], to after: [PrometheusSample]) {
    let monotonic = { (name: String) in ["_total", "_bucket", "_count", "_sum"].contains { name.hasSuffix($0) } }
    for old in before where monotonic(old.name) {
        let new = after.value(old.name, old.labels)
        #expect(new.map { $0 >= old.value } == true, "\(old.name)\(old.labels) went from \(old.value) to \(String(describing: new))")
    }
}
