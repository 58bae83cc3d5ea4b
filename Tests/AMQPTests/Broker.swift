import AMQP
import BrokerTestSupport
import Testing
import Foundation

/// The real local broker the scripts start (scripts/broker), and unique names so tests
/// running in parallel never share a queue.
enum Broker {
    static let url: AMQPURL = {
        let text = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f"
        return try! AMQPURL(parsing: text)
    }()

    static func connect(_ name: String = "amqp-tests") throws -> AMQPConnection {
        let connection = try AMQPConnection(url: url, options: .init(connectionName: name))
        try connection.openChannel(1)
        return connection
    }

    /// A queue or exchange name of its own, under `t-` so that the broker's test policy
    /// (scripts/broker test-policy) expires it if a failed run leaves it behind.
    static func uniqueName(_ label: String) -> String {
        "t-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// The AMQPError `body` throws, or nil if it returns (or throws something else, which the
/// test then reports as a wrong error).
func amqpError(_ body: () throws -> Void) -> AMQPError? {
    do {
        try body()
        return nil
    } catch let error as AMQPError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// How connecting to `url` fails with a socket error: what was being done, and why. nil, with
/// the test failed, when it connects or fails some other way.
func socketFailure(connecting url: AMQPURL) async throws -> (operation: String, detail: String)? {
    let error = try await DedicatedThread.run { amqpError { _ = try AMQPConnection(url: url) } }
    guard case let .socket(operation, detail) = error else {
        Issue.record("expected a socket error, got \(String(describing: error))")
        return nil
    }
    return (operation, detail)
}

/// Whether a connection to `url` opens (it is closed again).
func opens(_ url: AMQPURL) async throws -> Bool {
    try await DedicatedThread.run {
        let connection = try AMQPConnection(url: url)
        defer { connection.close() }
        return connection.isOpen
    }
}
