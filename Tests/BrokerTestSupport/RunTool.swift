import Foundation

/// Runs an executable to its end and returns its exit status and its output (standard output
/// and error together): the project's scripts and `switchboardctl` as a user runs them.
public func runTool(_ executable: URL, _ arguments: [String], environment extra: [String: String] = [:]) throws
    -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}
