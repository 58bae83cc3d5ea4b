import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// The replay's worker process: started for a `replay.run`, in a session of its own, and
/// gone with the service however the service ends.
@Suite(.serialized)
struct ReplayWorkerTests {
    /// Gone, or a zombie nobody has reaped yet: either way it runs no more.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let state = stat.split(separator: ")").last?.split(separator: " ").first else { return false }
        return state != "Z" && state != "X"
    }

    @Test func aReplaysWorkerLeadsItsOwnSessionAndEndsWhenTheServiceIsKilled() async throws {
        try await DedicatedThread.run {
            let (service, client, _, prefix) = try HTTPAPITests.start("replay-kill")
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            let since = Timestamp.now()
            for n in 1...10 { try client.ok("operator.create", ["name": .string("op\(n)"), "max_load_limit": 10_000]) }
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg((1...10).map { (Int64($0), 10) })])
            // Enough for a replay of a few seconds in a debug build (found within a tenth of one).
            try client.sendIntake(intakeBatch(0..<8_000, label: "kill"))
            #expect(try client.waitForCount(8_000, timeout: .seconds(120)) == 8_000)
            let window: [String: JSONValue] = ["since": .string(since.description),
                                               "until": .string(Timestamp(milliseconds: Timestamp.now().milliseconds + 1_000).description)]
            // Its answer never comes: the service is killed first.
            let asking = Thread {
                let asker = ControlClient(url: brokerURL, prefix: prefix)
                defer { asker.close() }
                _ = try? asker.call("replay.run", window, timeout: .seconds(20))
            }
            asking.start()

            let pid = service.process.processIdentifier
            let worker = try eventually(within: .seconds(20), "the replay's worker under the service") { _ in ProcessTree.replayWorker(under: pid) }
            // It lowers its group's priority first thing, a moment after it starts.
            if FileManager.default.fileExists(atPath: "/proc/\(worker)/autogroup") {
                let group = try eventually(within: .seconds(10), "the worker's own scheduling group at nice 19") { seen in
                    seen = (try? String(contentsOfFile: "/proc/\(worker)/autogroup", encoding: .utf8)) ?? "no group"
                    return seen.hasSuffix("nice 19\n") ? seen : nil
                }
                #expect(try String(contentsOfFile: "/proc/\(pid)/autogroup", encoding: .utf8) != group, "the service's is another")
            }
            #expect(getsid(worker) == worker, "it leads a session of its own")

            service.kill9()
            try eventually(within: .seconds(15), "the worker to end with the service") { seen in
                seen = "worker \(worker) running: \(Self.isRunning(worker))"
                return Self.isRunning(worker) ? nil : true
            }
        }
    }
}
