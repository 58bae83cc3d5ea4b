import BrokerTestSupport
import Foundation
import Testing

/// The real `switchboard` executable, built beside the tests, run as a child process.
final class ServiceProcess: @unchecked Sendable {
    let process = Process()
    let log: URL

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
        // Many services run side by side in the tests: each HTTP side takes a free port.
        environment["SWITCHBOARD_HTTP"] = "127.0.0.1:0"
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

    /// Polls the log until it contains `text` (counting only what came after the log held
    /// `afterOccurrences` of it) or the deadline passes.
    func waitForOutput(containing text: String, afterOccurrences: Int = 0, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.components(separatedBy: text).count - 1 > afterOccurrences { return true }
            Thread.sleep(forTimeInterval: 0.05)  // poll interval, bounded by the deadline
        }
        return false
    }

    /// Waits for the process to end by itself; nil if it is still running at the deadline.
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func kill9() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the exit status, or nil
    /// if it did not exit in time (it is then killed).
    func terminate(timeout: Duration) -> Int32? {
        Foundation.kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill9()
            return nil
        }
        return process.terminationStatus
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}
