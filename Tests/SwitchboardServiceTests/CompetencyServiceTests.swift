import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

extension ControlClient {
    /// An intake message with `requires`, as a bot sends one.
    func intake(user: String, source: String, requires: [[String: JSONValue]], messageId: String = UUID().uuidString) throws {
        let fields: [String: JSONValue] = ["user_identifier": .string(user), "message": "hola", "source": .string(source),
                                           "requires": .array(requires.map(JSONValue.object))]
        try sendIntake(Array(JSONEncoder().encode(JSONValue.object(fields))), messageId: messageId)
    }
}

/// Competencies against the real broker: the messages, a relax deadline across kill -9, the CLI.
@Suite struct CompetencyServiceTests {
    @Test func competencyMessagesMatchTheSchemas() async throws {
        let running = await RunningService(label: "contract-skills")
        let captured = try await captureMessages(running) { recorder, watcher in
            let client = recorder.client
            try recorder.recordSuccess("operator.create", ["name": "María", "max_load_limit": 4, "skills": ["lang.es": 5, "billing": 3],
                                                           "capacity": ["chat": 3, "voice": 1]], result: "operator.json")
            try recorder.recordSuccess("operator.create", ["name": "Ann", "max_load_limit": 4, "skills": ["billing": 1]], result: "operator.json")
            try recorder.recordSuccess("source.create", ["name": "WhatsApp", "identifier": "whatsapp", "channel": "chat",
                                                         "strategy": "least_loaded"], result: "source.json")
            try recorder.recordSuccess("source.update", ["id": 1, "requires": [["skill": "billing", "min_level": 1]]], result: "source.json")
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10)])])
            try client.intake(user: "u1", source: "whatsapp", requires: [["skill": "lang.de", "min_level": 2]])
            let waiting = try watcher.collect(until: "request.waiting", timeout: .seconds(10))
            #expect(waiting.last?.event?.unmatched == ["lang.de"])
            waiting.forEach(recorder.add)
            try client.intake(user: "u2", source: "whatsapp", requires: [["skill": "lang.es", "min_level": 9, "relax_after_seconds": 1],
                                                                          ["skill": "billing", "min_level": 2]])
            let relaxed = try watcher.collect(until: "request.assigned", timeout: .seconds(15))
            #expect(relaxed.map(\.routingKey) == ["request.waiting", "request.relaxed", "request.assigned"])
            #expect(relaxed.last?.request?.operatorId == 1 && relaxed.last?.event?.route == .waitingLine)
            relaxed.forEach(recorder.add)
            // The source's own requirement (billing 1): both qualify, the one with the lower share takes it.
            try client.intake(user: "u3", source: "whatsapp")
            let picked = try #require(watcher.collect(until: "request.assigned", timeout: .seconds(10)).last)
            #expect(picked.request?.operatorId == 2 && picked.event?.route == .leastLoaded)
            recorder.add(picked)
            try recorder.recordSuccess("operator.list", ["skill": "billing", "min_level": 3], result: "operator.json")
            try recorder.recordSuccess("operator.update", ["id": 1, "max_load_limit": 1, "capacity": ["chat": 0]], result: "operator.json")
            try recorder.recordSuccess("stats.operators_load", [:], result: "operators-load.json")
            try recorder.recordSuccess("stats.service_level", ["skill": "lang.es"], result: "service-level.json")
            try recorder.record("service.status", [:], result: "service-status.json")
        }
        #expect(Set(captured.keys).isSuperset(of: ["event-request.relaxed.json", "args/operator.list.json", "operators-load.json"]))
        try expectValid(captured)
        try await running.finish()
    }

    /// A relax time ahead when the writer is killed fires once, at its time, after the
    /// restart (on PostgreSQL, a standby's takeover), and routes the request at once.
    @Test func aRelaxTimeAheadOfAKillNineFiresOnceAfterTheRestart() async throws {
        let prefix = uniquePrefix("relax9")
        let database = temporaryDatabase()
        let outcome = try await DedicatedThread.run { () -> (events: [ReceivedEvent], log: String) in
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            var service = try ServiceProcess(prefix: prefix, databasePath: database)
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { return ([], service.output) }
            let next = try NextWriter(prefix: prefix, database: database)
            let watcher = try EventWatcher(url: brokerURL, exchange: Topology(prefix: prefix).events)
            defer { watcher.close() }
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 5, "skills": ["billing": 1]])
            try client.ok("source.create", ["name": "Chat", "identifier": "chat"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.intake(user: "u1", source: "chat", requires: [["skill": "lang.es", "relax_after_seconds": 3], ["skill": "billing"]])
            var events = try watcher.collect(until: "request.waiting", timeout: .seconds(10))
            next.holdBack()
            service.kill9()
            service = try next.takeOver()
            events += try watcher.collect(until: "request.assigned", timeout: .seconds(30))
            // Anything repeated would come soon after: nothing more for two seconds.
            events += try watcher.collect(100, quietFor: .seconds(2), timeout: .seconds(10))
            _ = service.terminate(timeout: .seconds(10))
            return (events, service.output)
        }
        let keys = outcome.events.map(\.routingKey)
        #expect(keys.filter { $0 == "request.relaxed" }.count == 1, "\(keys); log:\n\(outcome.log.suffix(2000))")
        #expect(keys.last == "request.assigned" && keys.contains("request.waiting"))
        let relaxed = try #require(outcome.events.first { $0.routingKey == "request.relaxed" }?.event)
        let waited = relaxed.occurredAt.milliseconds - relaxed.request.request.createdAt.milliseconds
        #expect(waited >= 3_000, "relaxed after \(waited) ms, before its 3 s")
        #expect(relaxed.dropped == ["lang.es"])
        try await deleteTopology(prefix)
    }

    @Test func theCLISetsSkillsCapacitiesChannelsStrategiesAndRequirements() async throws {
        let running = await RunningService(label: "cli-skills")
        try await DedicatedThread.run {
            let p = running.prefix
            func json(_ args: String...) throws -> JSONValue { try ctlJSON(args + ["--json"], prefix: p) }
            let made = try json("operator", "create", "--name", "María", "--max-load", "4", "--skill", "lang.es=5", "--skill", "billing=3",
                                "--capacity", "chat=3", "--capacity", "voice=1")
            #expect(made["skills"] == ["lang.es": 5, "billing": 3] && made["capacity"] == ["chat": 3, "voice": 1])
            _ = try json("operator", "create", "--name", "Ann", "--max-load", "4", "--skill", "billing=1")
            #expect(try json("operator", "list", "--skill", "billing", "--min-level", "3").array.compactMap { $0["name"]?.string } == ["María"])
            _ = try json("source", "create", "--name", "Chat", "--identifier", "chat")
            let source = try json("source", "update", "1", "--channel", "chat", "--strategy", "least_loaded", "--require", "lang.es=3:60")
            #expect(source["channel"] == "chat" && source["strategy"] == "least_loaded")
            #expect(source["requires"] == [["skill": "lang.es", "min_level": 3, "relax_after_seconds": 60]])
            let table = try ctl(["operator", "list"], prefix: p)
            #expect(table.status == 0 && table.stdout.contains("billing=3 lang.es=5") && table.stdout.contains("chat 0/3"))
            let bad = try ctl(["source", "update", "1", "--require", "lang.es=high"], prefix: p)
            #expect(bad.status != 0 && bad.stderr.contains("SKILL=LEVEL[:RELAX_SECONDS]"))
            let refused = try ctl(["operator", "update", "1", "--skill", "lang.es=11"], prefix: p)
            #expect(refused.status != 0 && refused.stderr.contains("skills.lang.es"))
        }
        try await running.finish()
    }
}
