import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore

/// The what-if replay's speed: a window the service lived on a floor of 50 operators,
/// replayed through `replay.run` (two runs: as it was and with a change), in simulated
/// requests a second, against the same service's live intake on the same floor.
extension BenchRun {
    func replay() throws {
        guard want("replay") else { return }
        let service = try startService("replay", operators: 50)
        defer { try? service.stop(); try? service.deleteTopology() }
        let since = Timestamp.now()
        print("\nWhat-if replay on a floor of 50 operators: live intake of \(requests) requests at max rate (fastest of 3), then those replayed:")
        let live = try fastest {
            try measure("live intake", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil)
        }
        // Every live request's event has come back: each was stored before now.
        let until = Timestamp.now()
        // The hot path's own latency, paced at 500/s, alone and then while the replay runs;
        // after a paced second not recorded, so that what the broker still does after the
        // max-rate runs (quorum log compaction) is charged to neither.
        let pacedRate = 500.0
        _ = try measure("warm-up", queue: service.topology.requests, exchange: service.topology.events, count: Int(pacedRate), rate: pacedRate)
        let alone = try measure("paced alone", queue: service.topology.requests, exchange: service.topology.events,
                                count: pacedRequests, rate: pacedRate)
        let residentBefore = ServiceUnderTest.residentKiB(service.processIdentifier)
        let answer = ReplayAnswer()
        let (url, prefix) = (url, service.prefix)
        let started = nowNanos()
        let replaying = Thread {
            let client = ControlClient(url: url, prefix: prefix)
            defer { client.close() }
            answer.set(Result { try client.call("replay.run", [
                "since": .string(since.description), "until": .string(until.description), "seed": 1,
                "changes": ["operators": ["1": ["max_load_limit": 5]]],
            ], timeout: .seconds(1_800)) }, seconds: Double(nowNanos() - started) / 1e9)
        }
        replaying.start()
        let during = try measure("paced during the replay", queue: service.topology.requests, exchange: service.topology.events,
                                 count: pacedRequests, rate: pacedRate)
        let (result, seconds) = answer.wait()
        let reply = try result.get()
        guard reply.ok, case let .object(report)? = reply.result, case let .integer(recorded)? = report["requests"] else {
            throw BenchFailure("replay.run failed: \(String(describing: reply.error))")
        }
        if seconds < during.seconds {
            print("  (the replay ended before the paced run did: its p99 is partly without it)")
        }
        let peak = ServiceUnderTest.peakKiB(service.processIdentifier)
        // Two runs of every recorded request: as it was, and with the change.
        let simulated = Double(2 * recorded) / seconds
        print(String(format: "  live intake      %8.0f req/s", live.perSecond))
        print(String(format: "  replay           %8.0f simulated req/s  (%lld requests, two runs, %.2f s)", simulated, recorded, seconds))
        ratioLine("replay / live intake (requests a second)", simulated / live.perSecond, target: ">= 20")
        print("  paced alone      \(alone.summary)")
        print("  paced, replaying \(during.summary)")
        ratioLine("intake p99 during the replay / alone", during.percentile(99) / alone.percentile(99), target: "<= 1.2")
        print("  service memory: \(residentBefore / 1024) MiB resident before the replay, peak \(peak / 1024) MiB")
        figures["replay"] = ["live_per_second": live.perSecond, "simulated_per_second": simulated, "requests": Double(recorded),
                             "seconds": seconds, "ratio": simulated / live.perSecond, "peak_mib": Double(peak) / 1024,
                             "p99_alone_ms": alone.percentile(99), "p99_replaying_ms": during.percentile(99)]
    }
}

/// The replay's answer, handed from the thread that waits for it.
private final class ReplayAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<ReplyEnvelope, any Error>?
    private var seconds = 0.0

    func set(_ result: Result<ReplyEnvelope, any Error>, seconds: Double) {
        lock.withLock { (self.result, self.seconds) = (result, seconds) }
        done.signal()
    }

    func wait() -> (Result<ReplyEnvelope, any Error>, Double) {
        done.wait()
        return lock.withLock { (result ?? .failure(BenchFailure("no answer")), seconds) }
    }
}
