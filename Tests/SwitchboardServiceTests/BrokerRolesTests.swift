import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// The example users scripts/broker-roles makes for one prefix, read back from the file it
/// writes their URLs to.
struct ExampleRoleUsers {
    let prefix: String
    let file: String
    let urls: [String: AMQPURL]

    init(prefix: String) throws {
        self.prefix = prefix
        file = NSTemporaryDirectory() + "\(prefix).roles.env"
        try Self.script("create", prefix: prefix, file: file)
        var urls: [String: AMQPURL] = [:]
        for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            urls[parts[0]] = try AMQPURL(parsing: parts[1])
        }
        self.urls = urls
    }

    func url(_ role: String) -> AMQPURL { urls[role]! }

    func delete() { try? Self.script("delete", prefix: prefix, file: file) }

    private static func script(_ action: String, prefix: String, file: String) throws {
        let (status, output) = try runScript("broker-roles", [action], environment: ["SWITCHBOARD_PREFIX": prefix, "SWITCHBOARD_ROLES_FILE": file])
        guard status == 0 else { throw ScriptFailed(status: status, output: output) }
    }

    struct ScriptFailed: Error {
        let status: Int32
        let output: String
    }
}

/// Publishes one message as `url`'s user and returns the broker's refusal, if any.
private func refusal(as url: AMQPURL, exchange: String, routingKey: String) throws -> AMQPError? {
    let connection = try AMQPConnection(url: url)
    defer { connection.close() }
    try connection.openChannel()
    try connection.enableConfirms()
    try connection.publish(exchange: exchange, routingKey: routingKey, body: Array(#"{"command":"operator.list"}"#.utf8),
                           properties: AMQPProperties(contentType: "application/json", messageId: UUID().uuidString))
    return try thrown { try connection.waitForConfirms(timeout: .seconds(10)) }
}

/// The broker error `body` throws, nil when it succeeds; any other error is rethrown.
private func thrown(_ body: () throws -> Void) throws -> AMQPError? {
    do {
        try body()
        return nil
    } catch let error as AMQPError {
        return error
    }
}

private func isAccessRefused(_ error: AMQPError?) -> Bool {
    if case let .channelClosed(code, _, _) = error { code == 403 } else { false }
}

@Suite struct BrokerRolesTests {
    @Test func theBrokerRefusesABotOutsideTheRequestsQueueAndTheServiceRefusesAConsoleOutsideItsRole() async throws {
        let prefix = uniquePrefix("broles")
        let users = try ExampleRoleUsers(prefix: prefix)
        defer { users.delete() }
        let ops = users.url("ops"), console = users.url("console"), bot = users.url("bot")
        // The service runs as its own restricted user, which must be enough for all it does.
        let running = await RunningService(label: "broles", prefix: prefix, url: users.url("service"),
                                           access: AccessPolicy(admins: [ops.user], consoles: [console.user]))
        try await DedicatedThread.run {
            let admin = ControlClient(url: ops, prefix: prefix)
            defer { admin.close() }
            try admin.ok("operator.create", ["name": "Ann", "max_load_limit": 3])
            try admin.ok("source.create", ["name": "Chat", "identifier": "chat"])
            try admin.ok("source.set_weights", ["source_id": 1, "weights": [["operator_id": 1, "weight": 1]]])

            // The console watches request events through a queue of its own name...
            let watcher = try EventWatcher(url: console, exchange: Topology(prefix: prefix).events, pattern: "request.#")
            #expect(watcher.queue.hasPrefix("\(console.user)."))
            // ...and may not bind keys outside its topic permission.
            #expect(isAccessRefused(try thrown { _ = try EventWatcher(url: console, exchange: Topology(prefix: prefix).events, pattern: "#") }))

            // The bot reaches the requests queue through its exchange, and nothing else.
            let botClient = ControlClient(url: bot, prefix: prefix)
            defer { botClient.close() }
            try botClient.intake(user: "u1", source: 1)
            let assigned = try watcher.collect(1, timeout: .seconds(15))
            #expect(assigned.first?.routingKey == "request.assigned")
            let topology = Topology(prefix: prefix)
            #expect(isAccessRefused(try refusal(as: bot, exchange: "", routingKey: topology.control)),
                    "the default exchange would carry a bot's command to the control queue")
            #expect(isAccessRefused(try refusal(as: bot, exchange: topology.control, routingKey: topology.control)))
            #expect(isAccessRefused(try refusal(as: bot, exchange: "", routingKey: topology.requests)),
                    "the default exchange reaches every queue, so the bot has none")
            #expect(isAccessRefused(try thrown { _ = try botClient.call("operator.list") }), "a bot has no business with commands")

            // What the broker lets through, the service judges.
            let consoleClient = ControlClient(url: console, prefix: prefix)
            defer { consoleClient.close() }
            #expect(try consoleClient.ok("request.list").array.count == 1)
            #expect(try consoleClient.error("operator.delete", ["id": 1])?.code == .forbidden)
            #expect(try admin.ok("operator.get", ["id": 1])["name"] == "Ann")
            #expect(isAccessRefused(try refusal(as: console, exchange: topology.requests, routingKey: topology.requests)),
                    "a console does not send requests")
        }
        try await running.finish()
    }
}
