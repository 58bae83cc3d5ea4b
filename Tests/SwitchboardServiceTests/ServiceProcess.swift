import BrokerTestSupport
import Foundation
import Testing

/// The real `switchboard` executable, built beside the tests, run as a child process.
final class ServiceProcess: @unchecked Sendable {
    let process = Process()
    let log: URL
    /// Where its HTTP side listens: chosen before the start, so no test reads it from the log.
    let httpPort: Int

    static var executable: URL {
        // The test bundle sits in the build directory next to the products.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("switchboard")
    }

    init(prefix: String, databasePath: String, environment extra: [String: String] = [:]) throws {
        log = ScratchFolder.make("log").appendingPathComponent("switchboard-\(prefix).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = Self.executable
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
        process.environment = environment
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// A test that fails half-way must not leave a service running after the suite.
    deinit {
        if process.isRunning { kill9() }
    }

    /// Waits for the process to end by itself; nil if it is still running at the deadline.
    func waitForExit(timeout: Duration) -> Int32? {
        let exited = try? eventually(within: timeout, every: .milliseconds(20), "the service exits") { _ in
            process.isRunning ? nil : true
        }
        return exited == nil ? nil : process.terminationStatus
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

    /// What it said last: on an exit for a setting, the one line that names what to change
    /// (`switchboard: …`), which is what an operator reads.
    var lastLine: String {
        output.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? ""
    }

    /// The last lines of its log, for a failing expectation's message.
    var logTail: String { String(output.suffix(3_000)) }

    func kill9() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the exit status, or nil
    /// if it did not exit in time (it is then killed).
    func terminate(timeout: Duration) -> Int32? {
        Foundation.kill(process.processIdentifier, SIGTERM)
        guard let status = waitForExit(timeout: timeout) else {
            kill9()
            return nil
        }
        return status
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}
