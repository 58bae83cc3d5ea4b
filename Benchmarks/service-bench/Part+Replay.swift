import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore

/// The what-if replay: its speed in simulated requests a second on a floor of 50 operators,
/// against the same service's live intake on that floor; the hot path's latency while a
/// replay of at least 100,000 requests runs; and the replay's peak memory for a million.
extension BenchRun {
    static let replayedAtLeast = 100_000

    func replay() throws {
        guard want("replay") else { return }
        let service = try startService("replay", operators: 50)
        defer { try? service.stop(); try? service.deleteTopology() }
        let since = Timestamp.now()
        let runs = max(3, (Self.replayedAtLeast + requests - 1) / requests)
        print("\nWhat-if replay on a floor of 50 operators: live intake of \(requests) requests at max rate \(runs) times (the fastest counts), then all of them replayed:")
        var live: RunResult?
        for _ in 0..<runs {
            let run = try measure("live intake", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil)
            if run.perSecond > live?.perSecond ?? 0 { live = run }
        }
        guard let live else { return }
        // Every live request's event has come back: each was stored before now.
        let window = ReplayWindow(since: since, until: Timestamp.now())

        // The speed: the replay with nothing else running.
        let alone = try window.replay(service, url: url)
        print(String(format: "  live intake      %8.0f req/s", live.perSecond))
        print(String(format: "  replay           %8.0f simulated req/s  (%lld requests, two runs, %.2f s)", alone.perSecond, alone.requests, alone.seconds))
        ratioLine("replay / live intake (requests a second)", alone.perSecond / live.perSecond, target: ">= 20")
        print("  replay worker's peak memory: \(alone.peakKiB / 1024) MiB; the service's own: \(ServiceUnderTest.peakKiB(service.processIdentifier) / 1024) MiB")

        // The hot path: intake paced at 500/s in blocks, while a second replay goes on and
        // while it is stopped (SIGSTOP), in turns, so that the broker's own stalls fall on both.
        let pacedRate = 500.0, blocks = 10
        _ = try measure("warm-up", queue: service.topology.requests, exchange: service.topology.events, count: Int(pacedRate), rate: pacedRate)
        var replaying: RunResult?, stopped: RunResult?
        var overlapped = true
        let during = try window.replay(service, url: url) { worker in
            for block in 0..<blocks {
                kill(worker, block % 2 == 0 ? SIGCONT : SIGSTOP)
                Thread.sleep(forTimeInterval: 0.25)
                let run = try self.measure(block % 2 == 0 ? "paced, replaying" : "paced, replay stopped", queue: service.topology.requests,
                                           exchange: service.topology.events, count: self.pacedRequests / blocks, rate: pacedRate)
                if block % 2 == 0 {
                    overlapped = overlapped && kill(worker, 0) == 0
                    replaying = replaying.map { $0.merging(run) } ?? run
                } else {
                    stopped = stopped.map { $0.merging(run) } ?? run
                }
            }
            kill(worker, SIGCONT)
        }
        guard let replaying, let stopped else { return }
        print("  paced, stopped   \(stopped.summary)")
        print("  paced, replaying \(replaying.summary)")
        if !overlapped { print("  (the replay ended during a block: that block is partly without it)") }
        ratioLine("intake p99 while replaying / stopped (\(during.requests) requests)", replaying.percentile(99) / stopped.percentile(99),
                  target: "<= 1.2")
        figures["replay"] = ["live_per_second": live.perSecond, "simulated_per_second": alone.perSecond, "requests": Double(alone.requests),
                             "seconds": alone.seconds, "ratio": alone.perSecond / live.perSecond, "worker_peak_mib": Double(alone.peakKiB) / 1024,
                             "p99_stopped_ms": stopped.percentile(99), "p99_replaying_ms": replaying.percentile(99)]
        try replayMemory()
    }

    /// A million recorded requests (a month of a busy floor, in bulk SQL) replayed: the
    /// worker's peak memory, against 300 MiB.
    private func replayMemory() throws {
        let count = 1_000_000
        var service = try startService("replay-million", operators: 50)
        try service.stop()
        // 2.6 s apart: a million fit the 31 days a replay may cover.
        try History.add(requests: count, to: service.databasePath, spacingMilliseconds: 2_600)
        service = try startService("replay-million", operators: 50)
        defer { try? service.stop(); try? service.deleteTopology() }
        let window = try ReplayWindow.whole(service.databasePath)
        print("One million recorded requests replayed:")
        let run = try window.replay(service, url: url)
        print(String(format: "  %lld requests, two runs, in %.1f s (%.0f simulated req/s); the worker's peak memory %d MiB (target < 300)",
                     run.requests, run.seconds, run.perSecond, run.peakKiB / 1024))
        figures["replay_million"] = ["requests": Double(run.requests), "seconds": run.seconds, "worker_peak_mib": Double(run.peakKiB) / 1024]
    }
}
