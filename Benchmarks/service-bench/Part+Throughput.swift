import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardCore

/// The service against the pass-through and the durable router at max rate and paced, and on PostgreSQL.
extension BenchRun {
    func throughputAndLatency() throws {
        guard want("throughput") || want("latency") || want("scale") else { return }
        let service = try startService("main", operators: 3)
        defer { try? service.stop(); try? service.deleteTopology() }
        if want("throughput") || want("scale") {
            print("\nThroughput at max rate, \(requests) requests (publisher confirms, window 256; fastest of 3 runs each):")
            let (svc, svcCPU) = try fastestWithCPU(service: service) {
                try measure("service", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil)
            }
            let (ceiling, ceilingCPU) = try fastestWithCPU(router: passThrough) {
                try measure("pass-through", queue: passThrough.queue, exchange: passThrough.output, count: requests, rate: nil)
            }
            let (durable, durableCPU) = try fastestWithCPU(router: durableRouter) {
                try measure("durable router", queue: durableRouter.queue, exchange: durableRouter.output, count: requests, rate: nil)
            }
            print("  service         \(svc.summary)")
            print("  pass-through    \(ceiling.summary)")
            print("  durable router  \(durable.summary)")
            ratioLine("service / durable-router throughput", svc.perSecond / durable.perSecond, target: ">= 0.85")
            ratioLine("service / pass-through throughput", svc.perSecond / ceiling.perSecond, target: ">= 0.75")
            ratioLine("durable router / pass-through throughput", durable.perSecond / ceiling.perSecond, target: "reference")
            cpuLines([("service", svcCPU), ("pass-through", ceilingCPU), ("durable router", durableCPU)])
            // With the machine's CPU the limit, throughput goes as 1 / (CPU per message):
            // what the service may spend of its own for 0.85 of the router, the rest as the router's.
            let budget = durableCPU.total / 0.85 - durableCPU.broker - durableCPU.producerAndSink
            print(String(format: "    for 0.85 of the durable router at the same CPU per message elsewhere, the service may use %.1f µs of its own (it used %.1f)",
                         budget, svcCPU.own))
            figures["throughput"] = ["service": svc.json, "pass_through": ceiling.json, "durable_router": durable.json,
                                     "ratio": svc.perSecond / ceiling.perSecond, "durable_ratio": svc.perSecond / durable.perSecond,
                                     "cpu_service": svcCPU.json, "cpu_pass_through": ceilingCPU.json, "cpu_durable_router": durableCPU.json]
            figures["empty_intake_per_second"] = svc.perSecond
        }
        if want("latency") {
            let blocks = 10
            print("\nLatency paced at \(Int(rate)) requests/s, \(pacedRequests) requests each in \(blocks) alternating blocks (end to end: publish → event received):")
            // One paced second for each first, not recorded: what the broker still does
            // after the throughput runs (quorum log compaction) must not land on whichever
            // of the two is measured next.
            _ = try measure("warm-up", queue: service.topology.requests, exchange: service.topology.events, count: Int(rate), rate: rate)
            _ = try measure("warm-up", queue: passThrough.queue, exchange: passThrough.output, count: Int(rate), rate: rate)
            _ = try measure("warm-up", queue: durableRouter.queue, exchange: durableRouter.output, count: Int(rate), rate: rate)
            let (serviceBefore, routerBefore) = (try service.transactions(), durableRouter.transactions)
            let paced = try pacedInTurns([
                ("service", service.topology.requests, service.topology.events),
                ("pass-through", passThrough.queue, passThrough.output),
                ("durable router", durableRouter.queue, durableRouter.output),
            ], blocks: blocks)
            let (serviceAfter, routerAfter) = (try service.transactions(), durableRouter.transactions)
            let (svc, ceiling, durable) = (paced["service"]!, paced["pass-through"]!, paced["durable router"]!)
            print("  service         \(svc.summary)")
            print("  pass-through    \(ceiling.summary)")
            print("  durable router  \(durable.summary)")
            ratioLine("service p99 / durable-router p99", svc.percentile(99) / durable.percentile(99), target: "<= 1.25")
            ratioLine("service p50 / durable-router p50", svc.percentile(50) / durable.percentile(50), target: "<= 1.15")
            ratioLine("service p99 / pass-through p99", svc.percentile(99) / ceiling.percentile(99), target: "reference")
            // Where a message's time goes: the transaction (commit and flush included) is the
            // part a durable router shares; the rest of the service's p50 is its own work.
            let mean = { (after: (seconds: Double, count: Double), before: (seconds: Double, count: Double)) in
                (after.seconds - before.seconds) / max(after.count - before.count, 1) * 1000
            }
            let (serviceCommit, routerCommit) = (mean(serviceAfter, serviceBefore), mean(routerAfter, routerBefore))
            print(String(format: "  mean transaction a batch: service %.3f ms (%.0f batches), durable router %.3f ms (%.0f); p50 gap %.3f ms, of it the transactions' %.3f ms",
                         serviceCommit, serviceAfter.count - serviceBefore.count, routerCommit, routerAfter.count - routerBefore.count,
                         svc.percentile(50) - durable.percentile(50), serviceCommit - routerCommit))
            figures["latency"] = ["service": svc.json, "pass_through": ceiling.json, "durable_router": durable.json,
                                  "p99_ratio": svc.percentile(99) / ceiling.percentile(99),
                                  "durable_p99_ratio": svc.percentile(99) / durable.percentile(99),
                                  "durable_p50_ratio": svc.percentile(50) / durable.percentile(50)]
        }
    }

    // The same service on PostgreSQL (scripts/postgres) beside SQLite and the durable
    // router, taking turns; then ten takeovers by a standby after kill -9.
    func postgres() throws {
        guard want("postgres") else { return }
        let sqlite = try startService("sqlite", operators: 3)
        defer { try? sqlite.stop(); try? sqlite.deleteTopology() }
        let database = try LocalPostgres.freshDatabase("bench")
        var postgres = try ServiceUnderTest(url: url, prefix: "\(tag)-postgres", databasePath: database, queueType: queueType)
        defer { try? postgres.stop(); try? postgres.deleteTopology() }
        try postgres.setUp(operators: 3)
        let contenders: [Contender] = [contender("sqlite", sqlite), contender("postgres", postgres), ("durable router", durableRouter.queue, durableRouter.output)]
        print("\nPostgreSQL (synchronous_commit on) beside SQLite, \(requests) requests at max rate (fastest of 3, in turns):")
        let best = try fastestInTurns(contenders)
        func show(_ results: [String: RunResult]) {
            for c in contenders { print("  \(c.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(results[c.name]!.summary)") }
        }
        show(best)
        ratioLine("postgres / sqlite throughput", best["postgres"]!.perSecond / best["sqlite"]!.perSecond, target: ">= 0.5")
        ratioLine("postgres / durable-router throughput", best["postgres"]!.perSecond / best["durable router"]!.perSecond, target: "reference")
        print("Paced at \(Int(rate))/s, \(pacedRequests) requests each in 10 alternating blocks:")
        let paced = try pacedInTurns(contenders)
        show(paced)
        ratioLine("postgres p99 / sqlite p99", paced["postgres"]!.percentile(99) / paced["sqlite"]!.percentile(99), target: "reference")
        ratioLine("postgres p99 / durable-router p99", paced["postgres"]!.percentile(99) / paced["durable router"]!.percentile(99),
                  target: "reference")
        print("Takeovers: kill -9 of the active instance to the first event published by the standby, 10 times:")
        var seconds: [Double] = []
        for _ in 0..<10 {
            let standby = try ServiceUnderTest(url: url, prefix: postgres.prefix, databasePath: database, queueType: queueType,
                                               answering: false)
            let deadline = ContinuousClock.now + .seconds(30)
            while !standby.says(role: "standby"), ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
            // The standby is the one to stop at the end from here on, even if the measure fails.
            let active = postgres
            postgres = standby
            let killed = ContinuousClock.now
            active.kill9()
            _ = try measure("takeover", queue: postgres.topology.requests, exchange: postgres.topology.events, count: 1, rate: nil)
            seconds.append((ContinuousClock.now - killed) / .seconds(1))
        }
        seconds.sort()
        print(String(format: "  median %.2f s, max %.2f s   (target: within 5 s)", (seconds[4] + seconds[5]) / 2, seconds[9]))
        figures["postgres"] = ["sqlite": best["sqlite"]!.json, "postgres": best["postgres"]!.json,
                               "ratio": best["postgres"]!.perSecond / best["sqlite"]!.perSecond,
                               "paced_postgres": paced["postgres"]!.json, "paced_sqlite": paced["sqlite"]!.json,
                               "takeover_seconds": seconds]
    }
}
