import AMQP
import ArgumentParser
import BrokerTestSupport
import Foundation
import SwitchboardCore

/// Drives a real Switchboard over its contract and measures it beside the broker's own
/// ceiling in the same run (a durable pass-through with no database), printing the ratios
/// the performance targets are stated in. Starts its own services (the `switchboard` built
/// beside it), each under its own prefix and database, and cleans up after itself.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard-bench", abstract: "Throughput, latency, memory and scaling of Switchboard against the broker's ceiling.")

    @Option(help: "Requests for the throughput runs.") var requests = 20_000
    @Option(help: "Requests for the paced latency runs.") var pacedRequests = 5_000
    @Option(help: "Rate of the paced runs, requests/s.") var rate = 1_000.0
    @Option(help: "Requests for the memory run.") var memoryRequests = 200_000
    @Option(help: "Requests stored before the scaling run.") var history = 1_000_000
    @Option(help: "quorum or classic.") var queueType = "quorum"
    @Option(help: "Which parts: all, throughput, latency, memory, scale, offers, roles, http, httpintake, cluster, retention, days, routing, postgres, refused, competencies, floorsday, replay.")
    var only = "all"
    @Option(help: "A switchboard executable built from an earlier commit: the routing part compares it with this build.")
    var baseline: String?
    @Option(help: "The cluster part's nodes, comma-separated (scripts/broker cluster urls).")
    var cluster = "amqp://guest:guest@127.0.0.1:5681,amqp://guest:guest@127.0.0.1:5682,amqp://guest:guest@127.0.0.1:5683"
    @Option(help: "Offers expiring together in the offers part.") var expiring = 10_000
    @Option(help: "Also write the figures as JSON to this file.") var json: String?

    func run() throws {
        let run = try BenchRun(self)
        defer { run.finish() }
        // In this order: a later part must not find the broker busy with an earlier one's leftovers.
        for part in [run.throughputAndLatency, run.postgres, run.offers, run.roles, run.http, run.httpIntake, run.memory, run.scale,
                     run.routing, run.competencies, run.floorsDay, run.replay, run.retention, run.days, run.refused, run.cluster] {
            try part()
        }
        if let json {
            let data = try JSONSerialization.data(withJSONObject: run.figures, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
            print("\nfigures written to \(json)")
        }
    }
}
