import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// Transfer against the real broker: the messages checked against the schemas, the events in
/// order, the CLI.
@Suite struct TransferServiceTests {
    @Test func transferMessagesMatchTheSchemasAndComeInOrder() async throws {
        let running = await RunningService(label: "contract-transfer")
        let captured = try await captureMessages(running) { recorder, watcher in
            let client = recorder.client
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 2, "skills": ["billing": 3]])
            try client.ok("operator.create", ["name": "Bob", "max_load_limit": 2, "skills": ["billing": 1]])
            try client.ok("source.create", ["name": "Chat", "identifier": "chat"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.intake(user: "u1", source: "chat")
            _ = try watcher.collect(until: "request.assigned", timeout: .seconds(10))
            try recorder.recordSuccess("request.transfer", ["id": 1, "operator_id": 2, "reason": "Bob knows them"], result: "request.json")
            let toBob = try watcher.collect(until: "request.assigned", timeout: .seconds(10))
            #expect(toBob.map(\.routingKey) == ["request.transferred", "request.assigned"])
            toBob.forEach(recorder.add)
            try recorder.recordSuccess("request.transfer", ["id": 1, "requires": [["skill": "billing", "min_level": 2]]], result: "request.json")
            let toSkill = try watcher.collect(until: "request.assigned", timeout: .seconds(10))
            #expect(toSkill.map(\.routingKey) == ["request.transferred", "request.assigned"])
            #expect(toSkill.last?.request?.operatorId == 1 && toSkill.last?.request?.transferCount == 2)
            toSkill.forEach(recorder.add)
            let refused = try recorder.record("request.transfer", ["id": 1, "operator_id": 1], result: nil)
            #expect(!refused.ok && refused.error?.code == .conflict)
        }
        #expect(Set(captured.keys).isSuperset(of: ["event-request.transferred.json", "args/request.transfer.json"]))
        try expectValid(captured)
        try await running.finish()
    }

    @Test func theCLITransfersToAColleagueOrToRequirementsAndRefusesBothAtOnce() async throws {
        let running = await RunningService(label: "cli-transfer")
        try await DedicatedThread.run {
            let p = running.prefix
            func json(_ args: String...) throws -> JSONValue { try ctlJSON(args + ["--json"], prefix: p) }
            _ = try json("operator", "create", "--name", "Ann", "--max-load", "2", "--skill", "billing=3")
            _ = try json("operator", "create", "--name", "Bob", "--max-load", "2", "--skill", "billing=1")
            _ = try json("source", "create", "--name", "Chat", "--identifier", "chat")
            _ = try json("source", "weights", "1", "1=10")
            let client = ControlClient(url: brokerURL, prefix: p)
            defer { client.close() }
            try client.intake(user: "u1", source: "chat")
            _ = try client.waitForRequests(1, status: "assigned")
            let moved = try json("request", "transfer", "1", "--to-operator", "2", "--reason", "Bob knows them")
            #expect(moved["operator_id"] == 2 && moved["transfer_count"] == 1)
            let back = try json("request", "transfer", "1", "--require", "billing=2")
            #expect(back["operator_id"] == 1 && back["requires"] == [["skill": "billing", "min_level": 2]])
            let both = try ctl(["request", "transfer", "1", "--to-operator", "2", "--require", "billing=1"], prefix: p)
            #expect(both.status != 0 && both.stderr.contains("not both"))
            let refused = try ctl(["request", "transfer", "1", "--to-operator", "1"], prefix: p)
            #expect(refused.status != 0 && refused.stderr.contains("conflict"))
        }
        try await running.finish()
    }
}
