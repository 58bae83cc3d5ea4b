import BrokerTestSupport
import Foundation

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `switchboard` executable run as a child process with an environment of the
/// test's, its output in a file: for what a person sees when it starts, and how it ends.
final class Executable: @unchecked Sendable {
    let process = Process()
    let log: URL

    static var path: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("switchboard")
    }

    init(arguments: [String] = [], environment extra: [String: String]) throws {
        log = ScratchFolder.make("startup").appendingPathComponent("switchboard.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = Self.path
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment.merge(extra) { $1 }
        process.environment = environment
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Its exit status once it ends by itself within `timeout`; nil while it still runs.
    func exitStatus(within timeout: Duration) -> Int32? {
        let ended = try? eventually(within: timeout, every: .milliseconds(20), "switchboard exits") { _ in process.isRunning ? nil : true }
        return ended == nil ? nil : process.terminationStatus
    }

    func terminate(within timeout: Duration) -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        return exitStatus(within: timeout)
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The last line it wrote: on an exit for a setting, what to change.
    var lastLine: String { output.split(separator: "\n").last.map(String.init) ?? "" }
}
