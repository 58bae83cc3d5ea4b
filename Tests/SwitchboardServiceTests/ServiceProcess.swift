import BrokerTestSupport
import Foundation
import Testing

/// The service as the tests run it: on the test broker, a prefix and database of its own,
/// and an HTTP port chosen before the start, so that no test reads it from the log.
final class ServiceProcess: SwitchboardProcess, @unchecked Sendable {
    let httpPort: Int

    init(prefix: String, databasePath: String, environment extra: [String: String] = [:]) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_AMQP_URL"] = brokerURL.unredacted
        environment["SWITCHBOARD_DB"] = databasePath
        environment["SWITCHBOARD_PREFIX"] = prefix
        environment["SWITCHBOARD_BATCH_SIZE"] = "64"
        // Many services run side by side in the tests: each HTTP side takes a port of its own.
        httpPort = RawHTTP.listenPort()
        environment["SWITCHBOARD_HTTP"] = "127.0.0.1:\(httpPort)"
        environment["SWITCHBOARD_ARCHIVE_DIR"] = TestDatabase.archiveDirectory(for: databasePath)
        environment.merge(extra) { $1 }
        try super.init(environment: environment, logName: "switchboard-\(prefix)")
    }

    /// Waits until the HTTP side answers `/healthz`; its port.
    func httpListening(timeout: Duration = .seconds(30)) throws -> Int {
        try eventually(within: timeout, "HTTP on 127.0.0.1:\(httpPort) answers /healthz") { seen in
            let answer = try RawHTTP(port: httpPort).get("/healthz")
            seen = "\(answer.status)"
            return answer.status == 200 ? httpPort : nil
        }
    }

    /// The readiness probe's answer (no token is needed for it).
    func readiness() throws -> RawHTTP.Answer { try RawHTTP(port: httpPort).get("/readyz") }

    /// Waits until the readiness probe says `role` (`active`: answering 200; `standby`: 503
    /// with that role), and returns the answer.
    @discardableResult
    func waitForRole(_ role: String, timeout: Duration) throws -> RawHTTP.Answer {
        try eventually(within: timeout, "/readyz says role \(role)") { seen in
            let answer = try readiness()
            seen = "\(answer.status) \(answer.body)"
            let matches = role == "active" ? answer.status == 200 : answer.status == 503 && answer.body.contains(#""role":"\#(role)""#)
            return matches ? answer : nil
        }
    }

}
