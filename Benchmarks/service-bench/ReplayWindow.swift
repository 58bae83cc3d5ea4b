import AMQP
import Foundation
import GRDB
import SwitchboardClient
import SwitchboardCore

/// A window of a bench service's record, replayed through its `replay.run` (two runs: as it
/// was, and with operator 1's limit changed), timed, with its worker watched.
struct ReplayWindow {
    var since: Timestamp
    var until: Timestamp

    struct Outcome {
        var requests: Int64
        var seconds: Double
        var peakKiB: Int
        /// Both runs' requests a second.
        var perSecond: Double { Double(2 * requests) / seconds }
    }

    /// From the first request stored to just after the last.
    static func whole(_ path: String) throws -> ReplayWindow {
        let (first, last) = try DatabaseQueue(path: path).read { db in
            (try Int64.fetchOne(db, sql: "SELECT MIN(created_at) FROM requests") ?? 0,
             try Int64.fetchOne(db, sql: "SELECT MAX(created_at) FROM requests") ?? 0)
        }
        return ReplayWindow(since: Timestamp(milliseconds: first), until: Timestamp(milliseconds: last + 1))
    }

    /// Replays the window; `meanwhile`, given the worker's pid, runs while it does.
    func replay(_ service: ServiceUnderTest, url: AMQPURL, meanwhile: ((Int32) throws -> Void)? = nil) throws -> Outcome {
        let watch = ReplayWorkerWatch(service: service.processIdentifier)
        watch.start()
        defer { watch.stop() }
        let answer = ReplayAnswer()
        let (prefix, args) = (service.prefix, ["since": JSONValue.string(since.description), "until": .string(until.description), "seed": 1,
                                               "changes": ["operators": ["1": ["max_load_limit": 5]]]])
        let started = DispatchTime.now().uptimeNanoseconds
        let caller = Thread {
            let client = ControlClient(url: url, prefix: prefix)
            defer { client.close() }
            answer.set(Result { try client.call("replay.run", args, timeout: .seconds(1_800)) },
                       seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }
        caller.start()
        if let meanwhile {
            guard let worker = watch.worker(within: 30) else { throw BenchFailure("no replay worker started within 30 s") }
            try meanwhile(worker)
        }
        let (result, seconds) = answer.wait()
        let reply = try result.get()
        guard reply.ok, case let .object(report)? = reply.result, case let .integer(recorded)? = report["requests"] else {
            throw BenchFailure("replay.run failed: \(String(describing: reply.error))")
        }
        return Outcome(requests: recorded, seconds: seconds, peakKiB: watch.peakKiB)
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
