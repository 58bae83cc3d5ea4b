import BrokerTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The service's replay worker (a process for each `replay.run`), watched from the
/// bench: its pid, to stop and continue it between paced blocks, and its peak resident
/// memory, sampled every 20 ms while it lives (VmHWM is a high-water mark, so only what it
/// gains in its last 20 ms can be missed).
final class ReplayWorkerWatch: @unchecked Sendable {
    private let service: Int32
    private let lock = NSLock()
    private var pid: Int32?
    private var peak = 0
    private var done = false
    private var sampler: Thread?

    init(service: Int32) { self.service = service }

    /// The worker's pid once it has started, waiting at most `seconds`.
    func worker(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let found = lock.withLock({ pid }) { return found }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }

    var peakKiB: Int { lock.withLock { peak } }

    func start() {
        let thread = Thread { [self] in
            // Bounded: a replay answers within the bench's 30-minute call timeout.
            for _ in 0..<(30 * 60 * 50) {
                if lock.withLock({ done }) { return }
                let found = lock.withLock({ pid }) ?? ProcessTree.replayWorker(under: service)
                if let found {
                    let kib = ServiceUnderTest.peakKiB(found)
                    lock.withLock {
                        pid = found
                        peak = max(peak, kib)
                    }
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        sampler = thread
        thread.start()
    }

    func stop() { lock.withLock { done = true } }
}
