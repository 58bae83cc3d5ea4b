import Foundation

/// The real `switchboard` executable, built beside the tests, run as a child process with
/// its output in a log file of its own. Killed at the end if a test leaves it running.
open class SwitchboardProcess: @unchecked Sendable {
    public let process = Process()
    public let log: URL

    public static var executable: URL {
        // The test bundle sits in the build directory next to the products.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("switchboard")
    }

    public init(arguments: [String] = [], environment: [String: String], logName: String = "switchboard") throws {
        log = ScratchFolder.make("log").appendingPathComponent("\(logName).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = Self.executable
        process.arguments = arguments
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

    /// Waits for the process to end by itself; its exit status, or nil if it still runs then.
    public func waitForExit(timeout: Duration) -> Int32? {
        let exited = try? eventually(within: timeout, every: .milliseconds(20), "switchboard exits") { _ in
            process.isRunning ? nil : true
        }
        return exited == nil ? nil : process.terminationStatus
    }

    public func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the exit status, or nil
    /// if it did not exit in time (it is then killed).
    public func terminate(timeout: Duration) -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        guard let status = waitForExit(timeout: timeout) else {
            kill9()
            return nil
        }
        return status
    }

    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Why it exited: the one line, `switchboard: …`, that names what to change, which is what
    /// an operator reads. Log lines of other threads may still follow it.
    public var exitMessage: String {
        output.split(separator: "\n").last { $0.hasPrefix("switchboard: ") }.map(String.init) ?? ""
    }

    /// The last lines of its log, for a failing expectation's message.
    public var logTail: String { String(output.suffix(3_000)) }
}
