import BrokerTestSupport
import Foundation

/// Intake through the HTTP API (64 keep-alive clients, each waiting for its `201`) against
/// AMQP intake of the same requests (confirmed publishes, a window of 256), on the same
/// service build in the same run.
extension BenchRun {
    func httpIntake() throws {
        guard want("httpintake") else { return }
        let clients = 64
        // Two services of three operators with room for 10,000 each: the max-rate runs fill
        // one (the rest wait, at both doors alike), the paced runs need every request assigned.
        let service = try startService("http-intake", operators: 3)
        defer { try? service.stop(); try? service.deleteTopology() }
        let door = HTTPIntakeClients(port: service.httpPort, clients: clients)
        print("\nIntake over HTTP (\(clients) keep-alive clients, each waiting for its 201) against AMQP intake, \(requests) requests at max rate (fastest of 3, in turns):")
        var bestHTTP: RunResult?, bestAMQP: RunResult?
        for _ in 0..<3 {
            let overHTTP = try door.post(count: requests, run: runId(), rate: nil)
            if overHTTP.perSecond > bestHTTP?.perSecond ?? 0 { bestHTTP = overHTTP }
            let overAMQP = try measure("amqp intake", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil)
            if overAMQP.perSecond > bestAMQP?.perSecond ?? 0 { bestAMQP = overAMQP }
        }
        guard let http = bestHTTP, let amqp = bestAMQP else { return }
        print("  http (answer)   \(http.summary)")
        print("  amqp (event)    \(amqp.summary)")
        ratioLine("http intake / amqp intake throughput", http.perSecond / amqp.perSecond, target: ">= 0.5")

        let pacedRate = 500.0
        let paced = try startService("http-paced", operators: 3)
        defer { try? paced.stop(); try? paced.deleteTopology() }
        let pacedDoor = HTTPIntakeClients(port: paced.httpPort, clients: clients)
        let blocks = 10
        print("Paced at \(Int(pacedRate)) requests/s, \(pacedRequests) requests each in \(blocks) alternating blocks:")
        var httpPaced: RunResult?, amqpPaced: RunResult?
        for block in 0..<blocks {
            let count = pacedRequests / blocks
            // A quiet moment between blocks, as in the other paced parts.
            Thread.sleep(forTimeInterval: 0.25)
            let overHTTP = { try pacedDoor.post(count: count, run: self.runId(), rate: pacedRate) }
            let overAMQP = {
                try self.measure("amqp assigned", queue: paced.topology.requests, exchange: paced.topology.events,
                                 pattern: "request.assigned", count: count, rate: pacedRate)
            }
            // Each goes first in turn, so the broker's occasional stall falls on both alike.
            let httpRun: RunResult, amqpRun: RunResult
            if block % 2 == 0 {
                httpRun = try overHTTP()
                amqpRun = try overAMQP()
            } else {
                amqpRun = try overAMQP()
                httpRun = try overHTTP()
            }
            httpPaced = httpPaced.map { $0.merging(httpRun) } ?? httpRun
            amqpPaced = amqpPaced.map { $0.merging(amqpRun) } ?? amqpRun
        }
        guard let httpAnswer = httpPaced, let amqpAssigned = amqpPaced else { return }
        print("  http: intake call to its 201       \(httpAnswer.summary)")
        print("  amqp: publish to request.assigned  \(amqpAssigned.summary)")
        ratioLine("http answer p99 / amqp request.assigned p99", httpAnswer.percentile(99) / amqpAssigned.percentile(99), target: "reference")
        figures["http_intake"] = ["http": http.json, "amqp": amqp.json, "ratio": http.perSecond / amqp.perSecond, "clients": Double(clients),
                                  "paced_http_answer": httpAnswer.json, "paced_amqp_assigned": amqpAssigned.json]
    }
}
