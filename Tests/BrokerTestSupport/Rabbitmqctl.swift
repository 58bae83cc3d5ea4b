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
