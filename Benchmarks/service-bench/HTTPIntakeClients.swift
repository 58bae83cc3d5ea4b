import BrokerTestSupport
import Foundation
import Histogram

/// Bots posting intake over HTTP: `clients` keep-alive connections, each on a thread of its
/// own sending one call at a time, as a webhook sender does. The bodies and idempotency keys
/// are the AMQP producer's, so both doors get the same requests.
struct HTTPIntakeClients {
    var port: Int
    var clients = 64
    var source = "bench"

    /// Sends `count` intake calls, as fast as answers come or paced at `rate` a second
    /// overall, and measures each from its intended send time to its `201` (so a stall is
    /// charged to the service, not hidden) and the throughput from the first send to the last
    /// answer.
    func post(count: Int, run: String, rate: Double?) throws -> RunResult {
        let tally = Tally()
        let connected = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        let interval = rate.map { UInt64(1e9 / $0) }
        for index in 0..<clients {
            let thread = Thread { [port, clients, source] in
                // Connected before the clock starts, as a bot's connection is before its traffic.
                let connection = Result { try KeepAliveHTTP(port: port, timeout: .seconds(60)) }
                connected.signal()
                go.wait()
                let start = tally.start
                var own = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
                var problem: String?
                for seq in stride(from: index, to: count, by: clients) {
                    var stamp = nowNanos()
                    if let interval {
                        let due = start + UInt64(seq) * interval
                        let now = nowNanos()
                        if due > now { usleep(UInt32((due - now) / 1_000)) }
                        stamp = due
                    }
                    let body = Producer.intakeBody(seq: seq, source: source)
                    do {
                        let answer = try connection.get().call("POST", "/api/v1/requests", body: body, headers: ["Idempotency-Key": "\(run)-\(seq)-\(stamp)"])
                        guard answer.status == 201 else {
                            problem = "intake call \(seq) answered \(answer.status): \(String(decoding: answer.body.prefix(200), as: UTF8.self))"
                            break
                        }
                    } catch {
                        problem = "intake call \(seq): \(error)"
                        break
                    }
                    _ = own.record(max(1, (nowNanos() &- stamp) / 1000))
                }
                tally.add(own, end: nowNanos(), problem: problem)
                finished.signal()
            }
            thread.start()
        }
        for _ in 0..<clients { connected.wait() }
        tally.start = nowNanos()
        for _ in 0..<clients { go.signal() }
        for _ in 0..<clients { finished.wait() }
        return try tally.result(count: count)
    }
}

/// What the client threads measured, gathered under a lock.
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    private var lastAnswer: UInt64 = 0
    private var failure: String?
    private var started: UInt64 = 0

    var start: UInt64 {
        get { lock.withLock { started } }
        set { lock.withLock { started = newValue } }
    }

    func add(_ own: Histogram<UInt64>, end: UInt64, problem: String?) {
        lock.withLock {
            histogram.add(own)
            lastAnswer = max(lastAnswer, end)
            if let problem { failure = failure ?? problem }
        }
    }

    func result(count: Int) throws -> RunResult {
        try lock.withLock {
            if let failure { throw BenchFailure(failure) }
            return RunResult(count: count, seconds: Double(lastAnswer - started) / 1e9, histogram: histogram)
        }
    }
}
