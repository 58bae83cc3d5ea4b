import AMQP
import Dispatch
import Foundation
import Histogram

/// Nanoseconds on a monotonic clock shared by every thread of this process.
func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// What one run measured: end-to-end latency of every message (publish → event received)
/// and the throughput from the first publish to the last receipt.
struct RunResult {
    var count: Int
    var seconds: Double
    var histogram: Histogram<UInt64>
    var perSecond: Double { Double(count) / seconds }

    func percentile(_ p: Double) -> Double { Double(histogram.valueAtPercentile(p)) / 1000 }  // µs → ms
    var maxMs: Double { Double(histogram.max) / 1000 }

    /// Two runs of the same kind as one: their latencies together, their times added.
    func merging(_ other: RunResult) -> RunResult {
        var histogram = histogram
        histogram.add(other.histogram)
        return RunResult(count: count + other.count, seconds: seconds + other.seconds, histogram: histogram)
    }

    var summary: String {
        String(format: "%8.0f msg/s   p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  max %7.2f ms",
               perSecond, percentile(50), percentile(90), percentile(99), percentile(99.9), maxMs)
    }

    var json: [String: Double] {
        ["per_second": perSecond, "p50_ms": percentile(50), "p90_ms": percentile(90), "p99_ms": percentile(99),
         "p999_ms": percentile(99.9), "max_ms": maxMs, "count": Double(count)]
    }
}

/// Consumes what comes out of the system under test and records each message's latency,
/// matched through the correlation id `<run>-<seq>-<sent nanos>` the producer gave it.
final class Sink: @unchecked Sendable {
    private let url: AMQPURL
    private let exchange: String
    private let pattern: String
    private let run: String
    private let expected: Int
    private let lock = NSLock()
    private var received = 0
    /// Event ids counted: an event the broker refused to another subscriber is published
    /// again, and its copies count once.
    private var seen = Set<String>()
    private var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    private var lastReceipt: UInt64 = 0
    private let ready = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var failure: Error?
    var onProgress: (@Sendable (Int) -> Void)?

    /// `pattern`: the events that count, e.g. `request.assigned` when offers come first.
    init(url: AMQPURL, exchange: String, pattern: String = "#", run: String, expected: Int) {
        self.url = url
        self.exchange = exchange
        self.pattern = pattern
        self.run = run
        self.expected = expected
    }

    var count: Int { lock.withLock { received } }

    /// Starts consuming on a thread of its own; returns once the queue is bound.
    func start(stallTimeout: Duration = .seconds(30)) {
        let thread = Thread { [self] in
            do {
                let connection = try AMQPConnection(url: url, options: .init(connectionName: "bench sink"))
                try connection.openChannel()
                let queue = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true).name
                try connection.bindQueue(queue, exchange: exchange, routingKey: pattern)
                try connection.setPrefetch(2_000)
                try connection.consume(queue: queue, noAck: true, exclusive: true)
                ready.signal()
                var lastProgress = nowNanos()
                while count < expected {
                    guard let delivery = try connection.nextDelivery(timeout: stallTimeout) else {
                        throw AMQPError.timeout(operation: "bench events (\(count) of \(expected) received)")
                    }
                    let now = nowNanos()
                    guard let id = delivery.properties.correlationId, id.hasPrefix(run + "-"),
                          let sent = id.split(separator: "-").last.flatMap({ UInt64($0) }),
                          lock.withLock({ seen.insert(delivery.properties.messageId ?? id).inserted })
                    else { continue }
                    lock.withLock {
                        received += 1
                        _ = histogram.record(max(1, (now &- sent) / 1000))
                        lastReceipt = now
                    }
                    if now - lastProgress > 500_000_000 {
                        lastProgress = now
                        onProgress?(count)
                    }
                }
                connection.close()
            } catch {
                lock.withLock { failure = error }
                ready.signal()
            }
            done.signal()
        }
        thread.start()
        ready.wait()
    }

    func finish(firstSend: UInt64) throws -> RunResult {
        done.wait()
        return try lock.withLock {
            if let failure { throw failure }
            return RunResult(count: received, seconds: Double(lastReceipt - firstSend) / 1e9, histogram: histogram)
        }
    }
}

/// Publishes intake messages, persistent and confirmed: as fast as confirms allow (a window
/// of 256 unconfirmed), or paced at a fixed rate, stamping each with its intended send time
/// so that a stall is charged to the system, not hidden (coordinated omission).
struct Producer {
    var url: AMQPURL
    var queue: String
    var source: String

    /// The bench's intake message number `seq`: 1,000 users in turn. Both doors send these.
    static func intakeBody(seq: Int, source: String) -> String {
        #"{"user_identifier":"bench-user-\#(seq % 1000)","source":"\#(source)","message":"Benchmark request \#(seq)"}"#
    }

    func publish(count: Int, run: String, ratePerSecond: Double?, onFirstSend: (UInt64) -> Void) throws {
        let connection = try AMQPConnection(url: url, options: .init(connectionName: "bench producer"))
        defer { connection.close() }
        try connection.openChannel()
        try connection.enableConfirms()
        let start = nowNanos()
        onFirstSend(start)
        let interval = ratePerSecond.map { UInt64(1e9 / $0) }
        for seq in 0..<count {
            var stamp = nowNanos()
            if let interval {
                let due = start + UInt64(seq) * interval
                // Sleep most of the gap in one go: a producer polling every few microseconds
                // would steal a core from the systems it measures.
                let now = nowNanos()
                if due > now + 300_000 { usleep(UInt32((due - now - 200_000) / 1_000)) }
                try connection.pump()
                while nowNanos() < due { usleep(20) }
                stamp = due
            }
            let body = Array(Self.intakeBody(seq: seq, source: source).utf8)
            try connection.publish(
                exchange: "", routingKey: queue, body: body,
                properties: AMQPProperties(contentType: "application/json", persistent: true, messageId: "\(run)-\(seq)-\(stamp)"))
            if interval != nil || seq % 256 == 255 { try connection.waitForConfirms() }
        }
        try connection.waitForConfirms()
    }
}
