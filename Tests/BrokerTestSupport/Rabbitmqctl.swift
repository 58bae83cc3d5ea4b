import Foundation

/// rabbitmqctl ended with a failure status: what it was asked and what it said on stderr.
public struct RabbitmqctlFailure: Error, CustomStringConvertible {
    public let arguments: [String]
    public let status: Int32
    public let stderr: String
    public var description: String { "rabbitmqctl \(arguments.joined(separator: " ")) exited \(status): \(stderr)" }
}

/// Runs rabbitmqctl against the local broker (as scripts/broker does) and returns its
/// standard output. Tests use it to act on the broker from outside: close a connection,
/// restart the node. A failure status throws, with what rabbitmqctl wrote on stderr: an
/// empty listing from a command that failed would read as "nothing there".
@discardableResult
public func rabbitmqctl(_ arguments: String...) throws -> String {
    try runRabbitmqctl(arguments)
}

/// rabbitmqctl for a listing, which changes nothing and so is asked again when it fails: up
/// to three times in all, then the last failure is thrown. A listing that succeeds can still
/// leave things out (`listedConsumerCounts` says when).
public func rabbitmqctlListing(_ arguments: String...) throws -> String {
    for _ in 1..<3 {
        if let listing = try? runRabbitmqctl(arguments) { return listing }
    }
    return try runRabbitmqctl(arguments)
}

private func runRabbitmqctl(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/rabbitmqctl")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = "/var/lib/rabbitmq"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    // stderr goes to a file: a second pipe would need a second reader, lest it fill meanwhile.
    let errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("rabbitmqctl-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorLog) }
    process.standardError = try FileHandle(forWritingTo: errorLog)
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let said = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
        throw RabbitmqctlFailure(arguments: arguments, status: process.terminationStatus,
                                 stderr: said.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return String(decoding: data, as: UTF8.self)
}

/// Closes, from the broker's side, every connection whose user or client properties (its
/// connection name among them) contain `text`, as a network fault or an operator would.
public func closeBrokerConnections(matching text: String, reason: String = "closed by test") throws {
    let listing = try rabbitmqctlListing("list_connections", "pid", "user", "client_properties", "--no-table-headers", "--quiet")
    for line in listing.split(separator: "\n") where line.contains(text) {
        guard let pid = line.split(separator: "\t").first else { continue }
        // A connection listed a moment ago may have closed by itself since: that is no failure.
        _ = try? rabbitmqctl("close_connection", String(pid), reason)
    }
}
