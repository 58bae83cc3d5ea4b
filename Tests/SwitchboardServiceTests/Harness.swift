import AMQP
import BrokerTestSupport
import Foundation
import Logging
import SwitchboardClient
import SwitchboardCore
import SwitchboardService
import SwitchboardStore
import Testing

let brokerURL: AMQPURL = {
    let text = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f"
    return try! AMQPURL(parsing: text)
}()

func uniquePrefix(_ label: String) -> String { "t-\(label)-\(UUID().uuidString.prefix(8).lowercased())" }

/// A fresh SQLite file, or under `SWITCHBOARD_TEST_STORE=postgres` a fresh PostgreSQL database.
func temporaryDatabase() -> String { TestDatabase.fresh("service") }

/// Where the service archives purged requests of `database` (SWITCHBOARD_ARCHIVE_DIR unset).
func archiveDirectory(of database: String) -> String {
    TestDatabase.archiveDirectory(for: database) ?? SwitchboardStore.defaultArchiveDirectory(for: StoreLocation(database))
}

/// A Switchboard running in this process with its own prefix and database, the way a test
/// scenario needs it; `finish()` stops it and removes its queues and exchanges.
final class RunningService: Sendable {
    let prefix: String
    let databasePath: String
    let url: AMQPURL
    let service: SwitchboardService

    init(label: String, prefix: String? = nil, databasePath: String? = nil, batchSize: Int = 64,
         queueType: SwitchboardServiceConfiguration.QueueType = .quorum, url: AMQPURL = brokerURL, awayAfterMissed: Int = 3,
         access: AccessPolicy = .open, eventRetryFor: Duration = .seconds(900)) async {
        self.prefix = prefix ?? uniquePrefix(label)
        self.databasePath = databasePath ?? temporaryDatabase()
        self.url = url
        var logger = Logger(label: "test.\(label)")
        logger.logLevel = .error
        var configuration = SwitchboardServiceConfiguration(
            brokers: AMQPBrokers(url), databasePath: self.databasePath, prefix: self.prefix, queueType: queueType, batchSize: batchSize,
            maxReconnectDelay: .milliseconds(500), awayAfterMissed: awayAfterMissed)
        configuration.access = access
        configuration.eventRetryFor = eventRetryFor
        configuration.archiveDirectory = TestDatabase.archiveDirectory(for: self.databasePath)
        configuration.replayWorkerExecutable = SwitchboardProcess.executable.path
        service = SwitchboardService(configuration: configuration, logger: logger)
        service.start()
        await service.waitUntilReady()
    }

    func stop() async {
        service.stop()
        await service.waitUntilFinished()
    }

    /// Stops the service and deletes its topology.
    func finish() async throws {
        await stop()
        try await DedicatedThread.run { [prefix, url] in try deleteTopologyNow(prefix, brokers: AMQPBrokers(url)) }
    }
}

func deleteTopology(_ prefix: String) async throws {
    try await DedicatedThread.run { try deleteTopologyNow(prefix) }
}

/// The same, for code already on a thread of its own.
func deleteTopologyNow(_ prefix: String, brokers: AMQPBrokers = AMQPBrokers(brokerURL)) throws {
    let connection = try AMQPConnection.open(to: brokers)
    defer { connection.close() }
    try connection.openChannel()
    try Topology(prefix: prefix).delete(on: connection)
}

/// Runs `body` with a client and an event watcher for `prefix` on a thread of their own.
func withClient<T: Sendable>(
    _ prefix: String, watching pattern: String? = "#", _ body: @escaping @Sendable (ControlClient, EventWatcher?) throws -> T
) async throws -> T {
    try await DedicatedThread.run {
        let client = ControlClient(url: brokerURL, prefix: prefix)
        defer { client.close() }
        let watcher = try pattern.map { try EventWatcher(url: brokerURL, exchange: Topology(prefix: prefix).events, pattern: $0) }
        defer { watcher?.close() }
        return try body(client, watcher)
    }
}

extension ControlClient {
    /// How long a test waits for a reply. Longer than the client's 5 s: on a loaded 2-core
    /// CI machine a PostgreSQL writer that has just taken over (200 expiries to handle) once
    /// answered later than that. Only a failing test ever waits it out.
    static let testReplyTimeout = Duration.seconds(20)

    /// Calls a command that must succeed and returns its result.
    @discardableResult
    func ok(_ command: String, _ args: [String: JSONValue] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let reply = try call(command, args, timeout: Self.testReplyTimeout)
        #expect(reply.ok, "\(command) failed: \(String(describing: reply.error))", sourceLocation: sourceLocation)
        return reply.result ?? .null
    }

    func error(_ command: String, _ args: [String: JSONValue] = [:]) throws -> CommandError? {
        let reply = try call(command, args, timeout: Self.testReplyTimeout)
        #expect(!reply.ok, "\(command) succeeded but should not")
        return reply.error
    }

    func intake(user: String, source: JSONValue, message: String = "help", priority: Int? = nil,
                messageId: String? = UUID().uuidString) throws {
        var fields: [String: JSONValue] = ["user_identifier": .string(user), "message": .string(message)]
        if case .string = source { fields["source"] = source } else { fields["source_id"] = source }
        if let priority { fields["priority"] = .integer(Int64(priority)) }
        try sendIntake(Array(JSONEncoder().encode(JSONValue.object(fields))), messageId: messageId)
    }

    /// Polls `request.list` until `count` requests are stored or the deadline passes.
    func waitForRequests(_ count: Int, status: String? = nil, timeout: Duration = .seconds(30)) throws -> [JSONValue] {
        var found: [JSONValue] = []
        _ = try? eventually(within: timeout, "\(count) requests stored\(status.map { " as \($0)" } ?? "")") { seen -> Bool? in
            found = try allRequests(status: status)
            seen = "\(found.count)"
            return found.count >= count ? true : nil
        }
        return found
    }

    /// Every request, a page at a time. `pageSize`: smaller for long messages, whose page of
    /// 1,000 would make a reply of megabytes.
    func allRequests(status: String? = nil, pageSize: Int = 1_000) throws -> [JSONValue] {
        var all: [JSONValue] = []
        var after: Int64 = 0
        for _ in 0..<10_000 {  // enough pages for any test here
            var args: [String: JSONValue] = ["limit": .integer(Int64(pageSize)), "after_id": .integer(after)]
            if let status { args["status"] = .string(status) }
            if after == 0 { args["after_id"] = nil }
            guard case let .array(page) = try ok("request.list", args), let last = page.last else { break }
            all += page
            after = last["id"]?.int ?? after
        }
        return all
    }
}

extension JSONValue {
    var int: Int64? {
        switch self {
        case let .integer(i): i
        case let .number(d): Int64(d)
        default: nil
        }
    }

    var string: String? {
        if case let .string(s) = self { s } else { nil }
    }

    var number: Double? {
        switch self {
        case let .integer(i): Double(i)
        case let .number(d): d
        default: nil
        }
    }

    var array: [JSONValue] {
        if case let .array(a) = self { a } else { [] }
    }
}
