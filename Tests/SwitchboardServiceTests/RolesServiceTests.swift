import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// A broker user made for one test, with every permission on the default vhost: what the
/// broker lets through, the service must still judge.
struct BrokerUser {
    let name: String
    let password: String

    init(_ label: String) {
        name = "t-\(label)-\(UUID().uuidString.prefix(6).lowercased())"
        password = "pw-\(UUID().uuidString)"
    }

    func create() throws {
        try rabbitmqctl("add_user", name, password)
        try rabbitmqctl("set_permissions", "-p", "/", name, ".*", ".*", ".*")
    }

    func delete() { _ = try? rabbitmqctl("delete_user", name) }

    var url: AMQPURL {
        var url = brokerURL
        url.user = name
        url.password = password
        return url
    }
}

@Suite struct RolesServiceTests {
    @Test func theServiceRefusesWhatTheBrokerLetsThroughAndTheAuditSaysWho() async throws {
        let desk = BrokerUser("desk")
        try desk.create()
        defer { desk.delete() }
        let running = await RunningService(label: "roles", access: AccessPolicy(admins: [brokerURL.user], consoles: [desk.name]))
        let prefix = running.prefix
        try await DedicatedThread.run {
            let admin = ControlClient(url: brokerURL, prefix: prefix)
            defer { admin.close() }
            let console = ControlClient(url: desk.url, prefix: prefix)
            defer { console.close() }
            try admin.ok("operator.create", ["name": "Ann", "max_load_limit": 3])

            let refused = try console.error("operator.delete", ["id": 1])
            #expect(refused?.code == .forbidden, "\(String(describing: refused))")
            #expect(try admin.ok("operator.get", ["id": 1])["name"] == "Ann", "the refused delete changed nothing")
            try console.ok("operator.list")
            try console.ok("operator.set_presence", ["id": 1, "presence": "away"])
            #expect(try console.error("audit.list")?.code == .forbidden)

            let topology = Topology(prefix: prefix)
            let raw = try AMQPConnection(url: brokerURL)
            defer { raw.close() }
            try raw.openChannel()
            try raw.enableConfirms()
            // No user_id at all: the service cannot tell who sent it, so it is refused.
            try raw.publish(exchange: "", routingKey: topology.control, body: Array(#"{"command":"operator.delete","args":{"id":1}}"#.utf8),
                            properties: AMQPProperties(contentType: "application/json", messageId: "anonymous-1"))
            try raw.waitForConfirms()
            // A user_id that is not the connection's own: the broker refuses it, so the
            // service never sees a forged sender.
            try raw.publish(exchange: "", routingKey: topology.control, body: Array(#"{"command":"operator.delete","args":{"id":1}}"#.utf8),
                            properties: AMQPProperties(contentType: "application/json", messageId: "forged-1", userId: desk.name))
            #expect(throws: AMQPError.self, "the broker let a forged user_id through") { try raw.waitForConfirms(timeout: .seconds(10)) }

            var audit: [JSONValue] = []
            let deadline = ContinuousClock.now + .seconds(10)
            while audit.count < 5, ContinuousClock.now < deadline {
                guard case let .array(rows) = try admin.ok("audit.list") else { break }
                audit = rows
            }
            let lines = audit.map { row in [row["user"], row["command"], row["outcome"]] }
            let guest = JSONValue.string(brokerURL.user), deskUser = JSONValue.string(desk.name)
            #expect(lines == [
                [guest, "operator.create", "ok"],
                [deskUser, "operator.delete", "forbidden"],
                [deskUser, "operator.set_presence", "ok"],
                [deskUser, "audit.list", "forbidden"],
                [.null, "operator.delete", "forbidden"],
            ], "\(lines)")
            #expect(audit.contains { $0["message_id"] == "forged-1" } == false)
            #expect(try admin.ok("operator.get", ["id": 1])["name"] == "Ann")
        }

        let table = try ctl(["audit", "--user", desk.name], prefix: prefix)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("operator.delete") && table.stdout.contains("forbidden") && !table.stdout.contains("operator.create"),
                "\(table.stdout)")
        let refusedCLI = try ctl(["operator", "delete", "1"], prefix: prefix, url: desk.url)
        #expect(refusedCLI.status != 0)
        #expect(refusedCLI.stderr.contains("forbidden"), "\(refusedCLI.stderr)")
        #expect(!(refusedCLI.stdout + refusedCLI.stderr).contains(desk.password), "the password stays out of what the CLI prints")
        try await running.finish()
    }
}
