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
            try? eventually(within: .seconds(10), "five audit rows", read: { try admin.ok("audit.list").array }) {
                audit = $0
                return $0.count >= 5
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

@Suite struct AuditDurabilityTests {
    /// Every command's message id, across a `kill -9` and the redeliveries after it, leaves
    /// exactly one audit row, and an `ok` row exactly when its effect (the operator) exists.
    @Test func killNineLeavesEveryCommandWithExactlyOneRowAndEveryRowWithItsEffect() async throws {
        let prefix = uniquePrefix("audit-kill9")
        let database = temporaryDatabase()
        let total = 600
        let (operators, rows, log) = try await DedicatedThread.run { () -> ([JSONValue], [JSONValue], String) in
            var service = try ServiceProcess(prefix: prefix, databasePath: database, environment: ["SWITCHBOARD_ADMIN_USERS": brokerURL.user])
            let admin = ControlClient(url: brokerURL, prefix: prefix)
            defer { admin.close() }
            guard try admin.waitUntilAnswering(timeout: .seconds(30)) else { return ([], [], service.output) }
            // Commands published in one burst with their replies coming back by direct reply-to;
            // every fifth names no sender and is refused.
            let sender = try AMQPConnection(url: brokerURL)
            defer { sender.close() }
            try sender.openChannel()
            try sender.consume(queue: "amq.rabbitmq.reply-to", noAck: true)
            for n in 0..<total {
                let body = Array(#"{"command":"operator.create","args":{"name":"op-\#(n)","max_load_limit":1}}"#.utf8)
                try sender.publish(exchange: "", routingKey: Topology(prefix: prefix).control, body: body, properties: AMQPProperties(
                    contentType: "application/json", persistent: true, replyTo: "amq.rabbitmq.reply-to", messageId: "c-\(n)",
                    userId: n % 5 == 0 ? nil : brokerURL.user))
            }
            var replies = 0
            let deadline = ContinuousClock.now + .seconds(30)
            while replies < total / 4, ContinuousClock.now < deadline {
                if try sender.nextDelivery(timeout: .milliseconds(200)) != nil { replies += 1 }
            }
            service.kill9()
            service = try ServiceProcess(prefix: prefix, databasePath: database, environment: ["SWITCHBOARD_ADMIN_USERS": brokerURL.user])
            var rows: [JSONValue] = []
            let settle = ContinuousClock.now + .seconds(60)
            while rows.count < total, ContinuousClock.now < settle {
                rows = (try? admin.ok("audit.list", ["limit": 1_000]).array) ?? rows
            }
            let operators = try admin.ok("operator.list").array
            #expect(service.terminate(timeout: .seconds(10)) == 0)
            return (operators, rows, service.output)
        }
        #expect(rows.count == total, "one row per command, none twice: \(rows.count); log:\n\(log.suffix(1500))")
        #expect(Set(rows.compactMap { $0["message_id"]?.string }).count == rows.count)
        let created = Set(operators.compactMap { $0["name"]?.string })
        let okRows = Set(rows.filter { $0["outcome"] == "ok" }.compactMap { $0["args"]?["name"]?.string })
        #expect(created == okRows, "an ok row exactly for each operator that exists")
        #expect(created == Set((0..<total).filter { $0 % 5 != 0 }.map { "op-\($0)" }))
        #expect(rows.filter { $0["outcome"] == "forbidden" }.count == total / 5)
        try await deleteTopology(prefix)
    }
}
