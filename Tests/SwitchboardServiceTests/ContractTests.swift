import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import SwitchboardStore
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs one of the project's scripts and returns its exit status and its output (standard
/// output and error together).
func runScript(_ name: String, _ arguments: [String] = [], environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
    try runTool(URL(fileURLWithPath: "/usr/bin/env"), [repositoryRoot.appendingPathComponent("scripts/\(name)").path] + arguments,
                environment: extra)
}

/// Runs scripts/check-contracts (Python's jsonschema, draft 2020-12).
func checkContracts(_ arguments: [String] = []) throws -> (status: Int32, output: String) {
    try runScript("check-contracts", arguments)
}

/// Writes JSON documents to a temporary folder and checks them against one schema.
func validate(_ documents: [[UInt8]], against schema: String) throws -> (status: Int32, output: String) {
    let folder = ScratchFolder.make("contract")
    let files = try documents.enumerated().map { index, bytes in
        let file = folder.appendingPathComponent("\(index).json")
        try Data(bytes).write(to: file)
        return file.path
    }
    return try checkContracts([schema] + files)
}

/// Messages captured from a running service, filed under the schema each must match.
final class SchemaRecorder {
    let client: ControlClient
    private(set) var byschema: [String: [[UInt8]]] = [:]

    init(client: ControlClient) { self.client = client }

    /// Files a value; an array's items are filed one by one (list results).
    func add(_ schema: String, _ value: JSONValue) throws {
        let items: [JSONValue] = if case let .array(list) = value { list } else { [value] }
        for item in items { byschema[schema, default: []].append(Array(try JSONEncoder().encode(item))) }
    }

    func add(_ event: ReceivedEvent) { byschema["event-\(event.routingKey).json", default: []].append(event.body) }

    /// Sends a command and files its reply, the command itself (when valid, and then with
    /// `arguments`, its args too) and its result.
    /// Records a command that must succeed, its arguments filed too.
    func recordSuccess(_ command: String, _ args: [String: JSONValue], result schema: String) throws {
        let reply = try record(command, args, result: schema, arguments: true)
        #expect(reply.ok, "\(command) failed: \(String(describing: reply.error))")
    }

    @discardableResult
    func record(_ command: String, _ args: [String: JSONValue], result schema: String?, arguments: Bool = false) throws -> ReplyEnvelope {
        let reply = try client.call(command, args)
        var envelope: [String: JSONValue] = ["ok": .bool(reply.ok), "result": reply.result ?? .null]
        if let error = reply.error { envelope["error"] = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(error)) }
        try add("reply.json", .object(envelope))
        // Valid commands match command.json; invalid ones are the point of their test.
        if reply.error?.code != .validationError {
            try add("command.json", .object(["command": .string(command), "args": .object(args)]))
            if arguments { try add("args/\(command).json", .object(args)) }
        }
        if let schema, let result = reply.result { try add(schema, result) }
        return reply
    }
}

/// Runs `scenario` with a recorder and a watcher on the service's events, on a thread of their own.
func captureMessages(_ running: RunningService, _ scenario: @escaping @Sendable (SchemaRecorder, EventWatcher) throws -> Void)
    async throws -> [String: [[UInt8]]] {
    try await DedicatedThread.run {
        let client = ControlClient(url: brokerURL, prefix: running.prefix)
        defer { client.close() }
        let watcher = try EventWatcher(url: brokerURL, exchange: Topology(prefix: running.prefix).events)
        defer { watcher.close() }
        let recorder = SchemaRecorder(client: client)
        try scenario(recorder, watcher)
        return recorder.byschema
    }
}

func expectValid(_ captured: [String: [[UInt8]]], sourceLocation: SourceLocation = #_sourceLocation) throws {
    for (schema, documents) in captured {
        let (status, output) = try validate(documents, against: schema)
        #expect(status == 0, "\(schema): \(output)", sourceLocation: sourceLocation)
    }
}

@Suite struct ContractTests {
    @Test func everyExampleValidatesAgainstItsSchema() throws {
        let (status, output) = try checkContracts()
        #expect(status == 0, "\(output)")
        #expect(output.contains(" 0 invalid"))
    }

    @Test func theSchemasRejectWhatTheContractForbids() throws {
        let bad: [(String, String)] = [
            ("intake.json", #"{"user_identifier":"u","message":"m"}"#),  // no source
            ("intake.json", #"{"user_identifier":"","source_id":1,"message":"m"}"#),
            ("event-request.assigned.json", #"{"event":"request.assigned","event_id":"e","occurred_at":"yesterday","request":{}}"#),
            ("args/source.set_weights.json", #"{"source_id":1,"weights":[{"operator_id":1,"weight":101}]}"#),
            ("args/source.create.json", #"{"name":"x","identifier":"Bad Id"}"#),
            ("reply.json", #"{"ok":false}"#),
            ("intake.json", #"{"user_identifier":"u","source_id":1,"message":"a\u0000b"}"#),
            ("args/operator.create.json", #"{"name":"x\u0000y","max_load_limit":1}"#),
            ("intake.json", #"{"user_identifier":"u","source_id":1,"message":"m","priority":10}"#),
            ("args/request.set_priority.json", #"{"id":1,"priority":-1}"#),
            ("args/stats.service_level.json", #"{"thresholds_seconds":[]}"#),
            ("args/source.update.json", #"{"id":1,"sticky_seconds":2592001}"#),
        ]
        for (schema, document) in bad {
            let (status, output) = try validate([Array(document.utf8)], against: schema)
            #expect(status == 1, "\(schema) accepted \(document): \(output)")
        }
    }

    /// The messages the running service really publishes (events, replies, results, dead-letter
    /// headers) validate against the schemas.
    @Test func realMessagesMatchTheSchemas() async throws {
        let running = await RunningService(label: "contract")
        let captured = try await captureMessages(running) { recorder, watcher in
            let client = recorder.client
            func record(_ command: String, _ args: [String: JSONValue], result schema: String?) throws {
                try recorder.record(command, args, result: schema)
            }
            try record("operator.create", ["name": "Иван Петров", "max_load_limit": 1], result: "operator.json")
            try record("operator.create", ["name": "Мария", "max_load_limit": 2, "is_active": false], result: "operator.json")
            try record("source.create", ["name": "Telegram Bot", "identifier": "telegram"], result: "source.json")
            try record("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 50), (2, 50)])], result: "source.json")
            try client.intake(user: "user123@telegram", source: 1, messageId: "c-1")
            try client.intake(user: "user456@telegram", source: "telegram", messageId: "c-2")
            _ = try client.waitForRequests(2)
            try record("operator.list", [:], result: "operator.json")
            try record("operator.get", ["id": 1], result: "operator.json")
            try record("operator.update", ["id": 2, "name": "Мария Сидорова"], result: "operator.json")
            try record("source.list", [:], result: "source.json")
            try record("source.get", ["id": 1], result: "source.json")
            try record("request.get", ["id": 1], result: "request-detail.json")
            try record("request.get", ["id": 2], result: "request-detail.json")
            try record("request.list", ["limit": 10], result: "request.json")
            try record("stats.operators_load", [:], result: "operators-load.json")
            try record("stats.requests_distribution", [:], result: "requests-distribution.json")
            try record("service.status", [:], result: "service-status.json")
            try record("request.close", ["id": 1], result: "request.json")
            try record("operator.toggle_active", ["id": 2], result: "operator.json")
            try record("request.assign", ["id": 2, "operator_id": 1], result: nil)  // already drained to 2: conflict or ok
            try record("operator.create", ["name": " ", "max_load_limit": 0], result: nil)
            try record("operator.delete", ["id": 99], result: nil)
            try record("operator.create", ["name": "Temp", "max_load_limit": 1], result: "operator.json")
            try record("operator.delete", ["id": 3], result: "deleted.json")
            for event in try watcher.collect(4, timeout: .seconds(10)) { recorder.add(event) }
        }
        #expect(Set(captured.keys).isSuperset(of: ["event-request.assigned.json", "event-request.waiting.json", "event-request.closed.json"]),
                "\(captured.keys.sorted())")
        try expectValid(captured)
        try await running.finish()
    }

    /// The second edition's messages as the service really sends them: offers, their
    /// declines, presence changes, and the new commands' replies.
    @Test func offerAndPresenceMessagesMatchTheSchemas() async throws {
        let running = await RunningService(label: "contract-offers")
        let captured = try await captureMessages(running) { recorder, watcher in
            let client = recorder.client
            try recorder.recordSuccess("operator.create", ["name": "Ann", "max_load_limit": 3, "presence": "available"], result: "operator.json")
            try recorder.recordSuccess("operator.create", ["name": "Bob", "max_load_limit": 3], result: "operator.json")
            try recorder.recordSuccess("source.create", ["name": "Chat", "identifier": "chat", "offer_timeout_seconds": 60], result: "source.json")
            try recorder.recordSuccess("source.update", ["id": 1, "name": "Web chat"], result: "source.json")
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10)])])
            try client.intake(user: "u1", source: "chat", messageId: "co-1")
            let offered = try #require(try watcher.collect(until: "request.offered", timeout: .seconds(10)).last?.request)
            let holder = try #require(offered.operatorId)
            try recorder.recordSuccess("request.list", ["status": "offered"], result: "request.json")
            try recorder.recordSuccess("request.get", ["id": 1], result: "request-detail.json")
            try recorder.recordSuccess("stats.operators_load", [:], result: "operators-load.json")
            try recorder.recordSuccess("service.status", [:], result: "service-status.json")
            try recorder.recordSuccess("request.reject", ["id": 1, "operator_id": .integer(holder), "reason": "on a call"], result: "request.json")
            try recorder.recordSuccess("request.accept", ["id": 1, "operator_id": .integer(3 - holder)], result: "request.json")
            try client.intake(user: "u2", source: "chat", messageId: "co-2")
            _ = try watcher.collect(until: "request.offered", timeout: .seconds(10))
            try recorder.recordSuccess("operator.set_presence", ["id": 1, "presence": "away"], result: "operator.json")
            try recorder.recordSuccess("operator.set_presence", ["id": 2, "presence": "offline", "requeue": true], result: "operator.json")
            for event in try watcher.collect(until: "request.waiting", timeout: .seconds(10)) { recorder.add(event) }
            try recorder.recordSuccess("audit.list", ["limit": 50, "command": "request.reject"], result: "audit-entry.json")
            try recorder.recordSuccess("request.close", ["id": 1], result: "request.json")
            try recorder.recordSuccess("request.purge", ["closed_before": "2100-01-01T00:00:00Z", "dry_run": true], result: "purge-summary.json")
            try recorder.recordSuccess("request.purge", ["closed_before": "2100-01-01T00:00:00Z"], result: "purge-summary.json")
            let archive = archiveDirectory(of: running.databasePath)
            for line in try ArchiveReader.lines(in: archive) { try recorder.add("archived-request.json", try JSONParser.parse(Array(line.text.utf8))) }
        }
        #expect(Set(captured.keys).isSuperset(of: [
            "event-request.offer_declined.json", "event-operator.presence_changed.json", "event-request.waiting.json",
            "args/request.accept.json", "args/request.reject.json", "args/operator.set_presence.json", "args/source.update.json",
            "args/audit.list.json", "audit-entry.json", "args/request.purge.json", "purge-summary.json", "archived-request.json",
        ]), "\(captured.keys.sorted())")
        try expectValid(captured)
        try await running.finish()
    }

    /// Priority, escalation, overflow, sticky routing and the service level as the service
    /// really sends them.
    @Test func priorityEscalationAndServiceLevelMessagesMatchTheSchemas() async throws {
        let running = await RunningService(label: "contract-routing")
        let captured = try await captureMessages(running) { recorder, watcher in
            let client = recorder.client
            try recorder.recordSuccess("operator.create", ["name": "Ann", "max_load_limit": 2, "is_active": false], result: "operator.json")
            try recorder.recordSuccess("operator.create", ["name": "Outsider", "max_load_limit": 5, "is_active": false], result: "operator.json")
            try recorder.recordSuccess("source.create", ["name": "Chat", "identifier": "chat", "max_wait_seconds": 1, "overflow": true,
                                         "sticky_seconds": 600], result: "source.json")
            try recorder.recordSuccess("source.update", ["id": 1, "max_wait_seconds": 1, "overflow": true, "sticky_seconds": 3600], result: "source.json")
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.intake(user: "u1", source: "chat", priority: 4, messageId: "cr-1")
            try client.intake(user: "u2", source: "chat", priority: 0, messageId: "cr-2")
            for event in try watcher.collect(until: "request.escalated", timeout: .seconds(10)) { recorder.add(event) }
            try recorder.recordSuccess("request.set_priority", ["id": 2, "priority": 6], result: "request.json")
            try recorder.recordSuccess("operator.update", ["id": 2, "is_active": true], result: "operator.json")
            for event in try watcher.collect(for: .seconds(10), until: { $0.filter { $0.routingKey == "request.assigned" }.count == 2 }) {
                recorder.add(event)
            }
            try recorder.recordSuccess("operator.update", ["id": 1, "is_active": true], result: "operator.json")
            try recorder.recordSuccess("request.close", ["id": 1], result: "request.json")
            // u1's first request overflowed to the outsider, who has no weight for a new one:
            // the next goes by weight, and the one after sticks to that operator.
            for messageId in ["cr-3", "cr-4"] {
                try client.intake(user: "u1", source: "chat", priority: 0, messageId: messageId)
                for event in try watcher.collect(until: "request.assigned", timeout: .seconds(10)) { recorder.add(event) }
            }
            try recorder.recordSuccess("request.get", ["id": 2], result: "request-detail.json")
            try recorder.recordSuccess("stats.service_level", [:], result: "service-level.json")
            try recorder.recordSuccess("stats.service_level", ["since": "2026-01-01T00:00:00Z", "source_id": 1, "thresholds_seconds": [1, 10]],
                       result: "service-level.json")
        }
        let routes = Set((captured["event-request.assigned.json"] ?? []).compactMap {
            try? JSONDecoder().decode(Event.self, from: Data($0)).route
        })
        #expect(routes.isSuperset(of: [.overflow, .sticky]), "\(routes)")
        #expect(Set(captured.keys).isSuperset(of: [
            "event-request.escalated.json", "args/request.set_priority.json", "args/stats.service_level.json", "service-level.json",
            "args/source.create.json", "args/source.update.json",
        ]), "\(captured.keys.sorted())")
        try expectValid(captured)
        try await running.finish()
    }

    /// A refusal as a console user gets it: the `forbidden` reply matches the schemas.
    @Test func aForbiddenReplyMatchesTheSchemas() async throws {
        let running = await RunningService(label: "contract-roles", access: AccessPolicy(admins: ["nobody-here"], consoles: [brokerURL.user]))
        let captured = try await captureMessages(running) { recorder, _ in
            let reply = try recorder.record("operator.delete", ["id": 1], result: nil)
            #expect(reply.error?.code == .forbidden, "\(String(describing: reply.error))")
        }
        #expect(captured["reply.json"]?.count == 1)
        try expectValid(captured)
        try await running.finish()
    }
}
