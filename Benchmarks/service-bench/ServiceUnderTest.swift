import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import SwitchboardService

/// A `switchboard` process started by the bench with its own prefix and database, and set
/// up with operators, a source and varied weights.
final class ServiceUnderTest {
    let prefix: String
    let databasePath: String
    let url: AMQPURL
    private let process = Process()
    let client: ControlClient

    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("switchboard")
    }

    /// The HTTP side's port: a free one, found by binding port 0 and letting it go.
    let httpPort = RawHTTP.listenPort()

    /// `answering`: wait until it answers on the control queue (a standby never does).
    init(url: AMQPURL, prefix: String, databasePath: String, queueType: String, environment extra: [String: String] = [:],
         executable: URL = ServiceUnderTest.executable, answering: Bool = true) throws {
        self.url = url
        self.prefix = prefix
        self.databasePath = databasePath
        client = ControlClient(url: url, prefix: prefix)
        process.executableURL = executable
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_AMQP_URL"] = url.unredacted
        environment["SWITCHBOARD_DB"] = databasePath
        environment["SWITCHBOARD_PREFIX"] = prefix
        environment["SWITCHBOARD_QUEUE_TYPE"] = queueType
        environment["SWITCHBOARD_LOG_LEVEL"] = "warning"
        environment["SWITCHBOARD_HTTP"] = "127.0.0.1:\(httpPort)"
        environment.merge(extra) { $1 }
        process.environment = environment
        try process.run()
        guard answering else { return }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let reply = try? client.call("service.status", timeout: .milliseconds(500)), reply.ok { return }
        }
        throw AMQPError.timeout(operation: "the service to answer")
    }

    /// `operators` operators with a limit of 10,000 each, all weighted (1...100, varied) on
    /// the source "bench" unless it already exists.
    func setUp(operators: Int, offerTimeoutSeconds: Int = 0) throws {
        if case .array(let existing)? = try? client.call("source.list").result, !existing.isEmpty { return }
        for n in 1...operators {
            _ = try client.call("operator.create", ["name": .string("Bench operator \(n)"), "max_load_limit": 10_000])
        }
        var source: [String: JSONValue] = ["name": "Bench", "identifier": "bench"]
        // Only when asked: a build from before offers (compared in the same run) refuses the field.
        if offerTimeoutSeconds > 0 { source["offer_timeout_seconds"] = .integer(Int64(offerTimeoutSeconds)) }
        _ = try client.call("source.create", source)
        let weights = (1...operators).map { JSONValue.object(["operator_id": .integer(Int64($0)), "weight": .integer(Int64($0 * 37 % 100 + 1))]) }
        let reply = try client.call("source.set_weights", ["source_id": 1, "weights": .array(weights)], timeout: .seconds(30))
        guard reply.ok else { throw AMQPError.timeout(operation: "set weights: \(String(describing: reply.error))") }
    }

    var processIdentifier: Int32 { process.processIdentifier }

    /// Its writer's transactions so far, read from its /metrics: their seconds in all, and how many.
    func transactions() throws -> (seconds: Double, count: Double) {
        let lines = try RawHTTP(port: httpPort).get("/metrics").body.split(separator: "\n")
        func value(_ name: String) -> Double {
            lines.first { $0.hasPrefix(name + " ") }.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
        }
        return (value("switchboard_transaction_seconds_sum"), value("switchboard_transaction_seconds_count"))
    }


    var residentKiB: Int { Self.residentKiB(process.processIdentifier) }

    /// Resident memory of a process, from /proc.
    static func residentKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// The most resident memory a process has had, from /proc (VmHWM).
    static func peakKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// Median wall time of `repeat` round trips of one command, in milliseconds.
    func time(_ command: String, _ args: [String: JSONValue] = [:], repeat count: Int = 30) throws -> Double {
        var samples: [Double] = []
        for _ in 0..<count {
            let start = nowNanos()
            let reply = try client.call(command, args, timeout: .seconds(30))
            guard reply.ok else { throw AMQPError.timeout(operation: "\(command) failed") }
            samples.append(Double(nowNanos() - start) / 1e6)
        }
        return samples.sorted()[count / 2]
    }

    /// Whether its readiness probe names `role` (`standby` while another instance writes).
    func says(role: String) -> Bool {
        (try? RawHTTP(port: httpPort).get("/readyz").body.contains("\"role\":\"\(role)\"")) ?? false
    }

    func kill9() {
        client.close()
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops the process; again is harmless.
    func stop() throws {
        client.close()
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    var topology: Topology { Topology(prefix: prefix) }

    func deleteTopology() throws {
        let connection = try AMQPConnection(url: url)
        try connection.openChannel()
        try topology.delete(on: connection)
        connection.close()
    }
}
