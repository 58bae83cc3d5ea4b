import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardCore

/// One run of the bench: its options, the broker node, a folder of its own, the two
/// ceilings every part measures against, and the figures gathered. Each part is a method
/// of its own (Part+*.swift) that returns at once when the run does not want it.
final class BenchRun {
    let requests: Int
    let pacedRequests: Int
    let rate: Double
    let memoryRequests: Int
    let history: Int
    let queueType: String
    let only: String
    let baseline: String?
    /// The cluster part's nodes.
    let clusterNodes: String
    let expiring: Int

    /// Of a list of nodes, one for the whole run, as the service keeps to one node.
    let url: AMQPURL
    let tag = "bench-\(UUID().uuidString.prefix(6).lowercased())"
    let folder: URL
    var figures: [String: Any]
    private var runs = 0
    let passThrough: PassThrough
    /// The fair ceiling for the hot path: the same, with one committed insert per message.
    let durableRouter: PassThrough

    init(_ options: Bench) throws {
        (requests, pacedRequests, rate, memoryRequests, history) =
            (options.requests, options.pacedRequests, options.rate, options.memoryRequests, options.history)
        (queueType, only, baseline, clusterNodes, expiring) = (options.queueType, options.only, options.baseline, options.cluster, options.expiring)
        url = try AMQPBrokers(parsing: ProcessInfo.processInfo.environment["SWITCHBOARD_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f")
            .connectionOrder[0]
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(tag)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        figures = ["queue_type": queueType, "cores": ProcessInfo.processInfo.activeProcessorCount]
        print("switchboard-bench: \(queueType) queues, \(ProcessInfo.processInfo.activeProcessorCount) cores, broker \(url)")
        passThrough = try PassThrough(url: url, prefix: tag, queueType: queueType)
        passThrough.start()
        durableRouter = try PassThrough(url: url, prefix: tag, queueType: queueType,
                                        journal: folder.appendingPathComponent("durable-router.sqlite").path)
        durableRouter.start()
    }

    func finish() {
        try? passThrough.stopAndClean()
        try? durableRouter.stopAndClean()
        try? FileManager.default.removeItem(at: folder)
    }

    func want(_ part: String) -> Bool { only == "all" || only == part }

    func runId() -> String {
        runs += 1
        return "r\(runs)\(tag.suffix(4))"
    }

    /// The service and the ceiling, measured with the same producer and sink.
    func measure(_ label: String, queue: String, exchange: String, pattern: String = "#", count: Int, rate: Double?,
                 on node: AMQPURL? = nil) throws -> RunResult {
        let url = node ?? url
        let id = runId()
        let sink = Sink(url: url, exchange: exchange, pattern: pattern, run: id, expected: count)
        sink.onProgress = { received in
            FileHandle.standardError.write(Data("\r  \(label): \(received)/\(count)        ".utf8))
        }
        sink.start()
        var firstSend: UInt64 = 0
        try Producer(url: url, queue: queue, source: "bench").publish(count: count, run: id, ratePerSecond: rate) { firstSend = $0 }
        let result = try sink.finish(firstSend: firstSend)
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        return result
    }

    /// Max-rate runs last about a second each, and anything else the machine does in that
    /// second (a disk flush, the broker's log work) only ever slows a run down: the fastest
    /// of three is the figure, for the service and the ceiling alike.
    func fastest(_ runs: () throws -> RunResult) throws -> RunResult {
        var best = try runs()
        for _ in 1..<3 {
            let next = try runs()
            if next.perSecond > best.perSecond { best = next }
        }
        return best
    }

    /// The same, with the CPU each part of the machine used per message over the three runs.
    func fastestWithCPU(service: ServiceUnderTest? = nil, router: PassThrough? = nil,
                        _ runs: () throws -> RunResult) throws -> (run: RunResult, cpu: CPUShares) {
        let start = CPUShares.now(service: service?.processIdentifier, router: router)
        let best = try fastest(runs)
        let end = CPUShares.now(service: service?.processIdentifier, router: router)
        return (best, end.microsecondsPerMessage(since: start, messages: 3 * requests))
    }

    func cpuLines(_ shares: [(name: String, cpu: CPUShares)]) {
        print("  CPU per message over the three runs (µs; own: the service's process or the router's thread):")
        for (name, cpu) in shares { print("    \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(cpu.summary)") }
    }

    /// What two or more measurements run against: a queue to publish to and the exchange
    /// its events come out of.
    typealias Contender = (name: String, queue: String, exchange: String)

    func contender(_ name: String, _ service: ServiceUnderTest) -> Contender {
        (name, service.topology.requests, service.topology.events)
    }

    /// Contenders take turns, so that the broker's and the disk's occasional stalls fall on
    /// all alike instead of on whichever happened to be running.
    func fastestInTurns(_ contenders: [Contender]) throws -> [String: RunResult] {
        var best: [String: RunResult] = [:]
        for _ in 0..<3 {
            for c in contenders {
                let run = try measure(c.name, queue: c.queue, exchange: c.exchange, count: requests, rate: nil)
                if run.perSecond > best[c.name]?.perSecond ?? 0 { best[c.name] = run }
            }
        }
        return best
    }

    /// Paced runs in short blocks, each contender going first in turn, merged per contender:
    /// the ratio then measures the systems, not the luck of one 5-second window.
    func pacedInTurns(_ contenders: [Contender], blocks: Int = 10, total: Int? = nil, rate: Double? = nil) throws -> [String: RunResult] {
        let (total, rate) = (total ?? pacedRequests, rate ?? self.rate)
        var merged: [String: RunResult] = [:]
        for block in 0..<blocks {
            let count = total / blocks + (block < total % blocks ? 1 : 0)
            for turn in 0..<contenders.count {
                let c = contenders[(block + turn) % contenders.count]
                // A quiet moment between blocks, so the work one side leaves behind (the
                // service's idle checkpoint, the broker's log writes) is not charged to the other.
                Thread.sleep(forTimeInterval: 0.25)
                let run = try measure(c.name, queue: c.queue, exchange: c.exchange, count: count, rate: rate)
                merged[c.name] = merged[c.name].map { $0.merging(run) } ?? run
            }
        }
        return merged
    }

    func startService(_ name: String, operators: Int, offerTimeoutSeconds: Int = 0, environment: [String: String] = [:],
                      on node: AMQPURL? = nil, executable: URL = ServiceUnderTest.executable) throws -> ServiceUnderTest {
        let service = try ServiceUnderTest(url: node ?? url, prefix: "\(tag)-\(name)", databasePath: folder.appendingPathComponent("\(name).sqlite").path,
                                           queueType: queueType, environment: environment, executable: executable)
        try service.setUp(operators: operators, offerTimeoutSeconds: offerTimeoutSeconds)
        return service
    }

    func ratioLine(_ name: String, _ value: Double, target: String) {
        // Padded here: Foundation on Linux ignores the width of a %@ field.
        print("  \(name.padding(toLength: max(58, name.count), withPad: " ", startingAt: 0)) \(String(format: "%6.2f", value))   (target \(target))")
    }
}
