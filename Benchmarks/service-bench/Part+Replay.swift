import BrokerTestSupport
import Foundation
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
        let until = Timestamp(milliseconds: Timestamp.now().milliseconds + 1_000)
        let residentBefore = ServiceUnderTest.residentKiB(service.processIdentifier)
        let started = nowNanos()
        let reply = try service.client.call("replay.run", [
            "since": .string(since.description), "until": .string(until.description), "seed": 1,
            "changes": ["operators": ["1": ["max_load_limit": 5]]],
        ], timeout: .seconds(1_800))
        let seconds = Double(nowNanos() - started) / 1e9
        guard reply.ok, case let .object(report)? = reply.result, case let .integer(recorded)? = report["requests"] else {
            throw BenchFailure("replay.run failed: \(String(describing: reply.error))")
        }
        let peak = ServiceUnderTest.peakKiB(service.processIdentifier)
        // Two runs of every recorded request: as it was, and with the change.
        let simulated = Double(2 * recorded) / seconds
        print(String(format: "  live intake      %8.0f req/s", live.perSecond))
        print(String(format: "  replay           %8.0f simulated req/s  (%lld requests, two runs, %.2f s)", simulated, recorded, seconds))
        ratioLine("replay / live intake (requests a second)", simulated / live.perSecond, target: ">= 20")
        print("  service memory: \(residentBefore / 1024) MiB resident before the replay, peak \(peak / 1024) MiB")
        figures["replay"] = ["live_per_second": live.perSecond, "simulated_per_second": simulated, "requests": Double(recorded),
                             "seconds": seconds, "ratio": simulated / live.perSecond, "peak_mib": Double(peak) / 1024]
    }
}
