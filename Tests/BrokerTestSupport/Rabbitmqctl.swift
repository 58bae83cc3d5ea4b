import Foundation

/// Runs rabbitmqctl against the local broker (as scripts/broker does) and returns its
/// standard output. Tests use it to act on the broker from outside: close a connection,
/// restart the node.
@discardableResult
public func rabbitmqctl(_ arguments: String...) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/rabbitmqctl")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = "/var/lib/rabbitmq"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// Closes, from the broker's side, every connection whose user or client properties (its
/// connection name among them) contain `text`, as a network fault or an operator would.
public func closeBrokerConnections(matching text: String, reason: String = "closed by test") throws {
    let listing = try rabbitmqctl("list_connections", "pid", "user", "client_properties", "--no-table-headers", "--quiet")
    for line in listing.split(separator: "\n") where line.contains(text) {
        guard let pid = line.split(separator: "\t").first else { continue }
        try rabbitmqctl("close_connection", String(pid), reason)
    }
}
