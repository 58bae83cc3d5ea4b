import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardCore

/// A console queue that refuses every event (x-max-length with reject-publish): what it
/// costs intake, the writer's memory while the refused wait in the store, and how fast a
/// backlog goes out once the queue drains.
extension BenchRun {
    func refused() throws {
        guard want("refused") else { return }
        print("\nA console queue refusing every event (reject-publish), 3 operators:")
        let window = Duration.seconds(60)
        let calm = try startService("refuse-none", operators: 3)
        defer { try? calm.stop(); try? calm.deleteTopology() }
        let alone = try intakeFor(window, calm, label: "no refusing queue")
        let busy = try startService("refuse-all", operators: 3)
        defer { try? busy.stop(); try? busy.deleteTopology() }
        let console = try RefusingQueue(url: url, exchange: busy.topology.events, name: "\(busy.prefix).console", room: 1)
        defer { console.delete() }
        let refusing = try intakeFor(window, busy, label: "one queue refusing")
        print("  no refusing queue     \(alone.summary)")
        print("  one queue refusing    \(refusing.summary)   (\(try busy.gauge("switchboard_events_retrying")) events retrying at the end)")
        ratioLine("intake with a queue refusing for 60 s / without", refusing.perSecond / alone.perSecond, target: ">= 0.8")

        let memory = try retryingMemory(count: memoryRequests)
        let drain = try drainTime(count: memoryRequests / 2)
        figures["refused"] = ["alone": alone.json, "refusing": refusing.json, "ratio": refusing.perSecond / alone.perSecond,
                              "rss_kib_by_retrying": memory.map { ["retrying": $0.retrying, "rss_kib": $0.kib] },
                              "drain_seconds": drain.seconds, "drained": drain.count]
    }

    /// Back-to-back max-rate runs of `requests` until `window` has passed: their merged rate.
    private func intakeFor(_ window: Duration, _ service: ServiceUnderTest, label: String) throws -> RunResult {
        let start = ContinuousClock.now
        var merged: RunResult?
        // Bounded: a run takes at least a few milliseconds, and 1,000 of them is past any window here.
        for _ in 0..<1_000 where ContinuousClock.now - start < window {
            let run = try measure(label, queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil)
            merged = merged.map { $0.merging(run) } ?? run
        }
        return merged!
    }

    /// The writer's resident memory as refused events pile up in the store.
    private func retryingMemory(count: Int) throws -> [(retrying: Int, kib: Int)] {
        print("  Resident memory while \(count) events wait for another attempt:")
        let service = try startService("refuse-memory", operators: 3)
        defer { try? service.stop(); try? service.deleteTopology() }
        let console = try RefusingQueue(url: url, exchange: service.topology.events, name: "\(service.prefix).console", room: 1)
        defer { console.delete() }
        var samples = [(retrying: 0, kib: service.residentKiB)]
        let id = runId()
        let chunk = count / 4
        for part in 0..<4 {
            try Producer(url: url, queue: service.topology.requests, source: "bench").publish(count: chunk, run: "\(id)\(part)", ratePerSecond: nil) { _ in }
            let target = chunk * (part + 1) - 1
            let retrying = try service.waitForGauge("switchboard_events_retrying", atLeast: target, timeout: .seconds(300))
            samples.append((retrying, service.residentKiB))
            print("    \(String(retrying).padding(toLength: 8, withPad: " ", startingAt: 0)) retrying   RSS \(samples.last!.kib / 1024) MiB")
        }
        let growth = Double(samples.last!.kib) / Double(samples[1].kib)
        ratioLine("RSS with \(samples.last!.retrying) retrying / with \(samples[1].retrying)", growth, target: "flat, ~1")
        return samples
    }

    /// Time from a refusing queue's drain to its last event arriving, `count` events retrying.
    private func drainTime(count: Int) throws -> (seconds: Double, count: Int) {
        let service = try startService("refuse-drain", operators: 3)
        defer { try? service.stop(); try? service.deleteTopology() }
        let console = try RefusingQueue(url: url, exchange: service.topology.events, name: "\(service.prefix).console", room: 10)
        defer { console.delete() }
        try Producer(url: url, queue: service.topology.requests, source: "bench").publish(count: count, run: runId(), ratePerSecond: nil) { _ in }
        _ = try service.waitForGauge("switchboard_events_retrying", atLeast: count - 10, timeout: .seconds(300))
        let start = ContinuousClock.now
        let received = try console.drain(expecting: count, timeout: .seconds(300))
        let seconds = Double((ContinuousClock.now - start).milliseconds) / 1000
        print(String(format: "  from the drain of a queue with %d events retrying to its last event: %.1f s (%d received)", count, seconds, received))
        return (seconds, received)
    }
}

/// A console's queue bound to every event that refuses them once `room` are in it.
struct RefusingQueue {
    let url: AMQPURL
    let name: String

    init(url: AMQPURL, exchange: String, name: String, room: Int) throws {
        self.url = url
        self.name = name
        let connection = try AMQPConnection(url: url)
        defer { connection.close() }
        try connection.openChannel()
        try connection.declareQueue(name, durable: false, arguments: ["x-max-length": .int(Int64(room)), "x-overflow": "reject-publish"])
        try connection.bindQueue(name, exchange: exchange, routingKey: "#")
    }

    /// Reads the queue as fast as it can until `count` distinct events came; how many did.
    func drain(expecting count: Int, timeout: Duration) throws -> Int {
        let connection = try AMQPConnection(url: url)
        defer { connection.close() }
        try connection.openChannel()
        try connection.setPrefetch(2_000)
        try connection.consume(queue: name, noAck: true)
        var seen = Set<String>()
        let deadline = ContinuousClock.now + timeout
        while seen.count < count, ContinuousClock.now < deadline {
            if let delivery = try connection.nextDelivery(timeout: .seconds(1)) { seen.insert(delivery.properties.messageId ?? "") }
        }
        return seen.count
    }

    func delete() {
        guard let connection = try? AMQPConnection(url: url) else { return }
        defer { connection.close() }
        try? connection.openChannel()
        _ = try? connection.deleteQueue(name)
    }
}

extension ServiceUnderTest {
    /// A gauge of its /metrics.
    func gauge(_ name: String) throws -> Int {
        let lines = try RawHTTP(port: httpPort).get("/metrics").body.split(separator: "\n")
        return lines.first { $0.hasPrefix(name + " ") }.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }.map { Int($0) } ?? 0
    }

    /// Polls a gauge until it reaches `atLeast`; its last value.
    func waitForGauge(_ name: String, atLeast: Int, timeout: Duration) throws -> Int {
        try eventually(within: timeout, every: .milliseconds(200), "\(name) at \(atLeast)") { seen in
            let value = try gauge(name)
            seen = "\(value)"
            return value >= atLeast ? value : nil
        }
    }
}
