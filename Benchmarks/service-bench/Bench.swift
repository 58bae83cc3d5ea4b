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
    @Option(help: "Which parts: all, throughput, latency, memory, scale, offers, roles, http, cluster, retention, days, routing, postgres.")
    var only = "all"
    @Option(help: "A switchboard executable built from an earlier commit: the routing part compares it with this build.")
    var baseline: String?
    @Option(help: "The cluster part's nodes, comma-separated (scripts/broker cluster urls).")
    var cluster = "amqp://guest:guest@127.0.0.1:5681,amqp://guest:guest@127.0.0.1:5682,amqp://guest:guest@127.0.0.1:5683"
    @Option(help: "Offers expiring together in the offers part.") var expiring = 10_000
    @Option(help: "Also write the figures as JSON to this file.") var json: String?

    func run() throws {
        // Of a list of nodes, one for the whole run, as the service keeps to one node.
        let url = try AMQPBrokers(parsing: ProcessInfo.processInfo.environment["SWITCHBOARD_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f")
            .connectionOrder[0]
        let tag = "bench-\(UUID().uuidString.prefix(6).lowercased())"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(tag)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var figures: [String: Any] = ["queue_type": queueType, "cores": ProcessInfo.processInfo.activeProcessorCount]
        let want = { (part: String) in only == "all" || only == part }
        var runs = 0
        func runId() -> String { runs += 1; return "r\(runs)\(tag.suffix(4))" }

        // The service and the ceiling, measured with the same producer and sink.
        func measure(_ label: String, queue: String, exchange: String, pattern: String = "#", count: Int, rate: Double?,
                     on url: AMQPURL = url) throws -> RunResult {
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
        // Max-rate runs last about a second each, and anything else the machine does in that
        // second (a disk flush, the broker's log work) only ever slows a run down: the fastest
        // of three is the figure, for the service and the ceiling alike.
        func fastest(_ runs: () throws -> RunResult) throws -> RunResult {
            var best = try runs()
            for _ in 1..<3 {
                let next = try runs()
                if next.perSecond > best.perSecond { best = next }
            }
            return best
        }
        // The same, with the CPU each part of the machine used per message over the three runs.
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
        // Contenders take turns, so that the broker's and the disk's occasional stalls fall on
        // all alike instead of on whichever happened to be running.
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
        // Paced runs in short blocks, each contender going first in turn, merged per contender:
        // the ratio then measures the systems, not the luck of one 5-second window.
        func pacedInTurns(_ contenders: [Contender], blocks: Int = 10) throws -> [String: RunResult] {
            var merged: [String: RunResult] = [:]
            for block in 0..<blocks {
                let count = pacedRequests / blocks + (block < pacedRequests % blocks ? 1 : 0)
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
                          on url: AMQPURL = url, executable: URL = ServiceUnderTest.executable) throws -> ServiceUnderTest {
            let service = try ServiceUnderTest(url: url, prefix: "\(tag)-\(name)", databasePath: folder.appendingPathComponent("\(name).sqlite").path,
                                               queueType: queueType, environment: environment, executable: executable)
            try service.setUp(operators: operators, offerTimeoutSeconds: offerTimeoutSeconds)
            return service
        }
        func ratioLine(_ name: String, _ value: Double, target: String) {
            // Padded here: Foundation on Linux ignores the width of a %@ field.
            print("  \(name.padding(toLength: max(58, name.count), withPad: " ", startingAt: 0)) \(String(format: "%6.2f", value))   (target \(target))")
        }

        print("switchboard-bench: \(queueType) queues, \(ProcessInfo.processInfo.activeProcessorCount) cores, broker \(url)")
        let passThrough = try PassThrough(url: url, prefix: tag, queueType: queueType)
        passThrough.start()
        defer { try? passThrough.stopAndClean() }
        // The fair ceiling for the hot path: the same, with one committed insert per message.
        let durableRouter = try PassThrough(url: url, prefix: tag, queueType: queueType,
                                            journal: folder.appendingPathComponent("durable-router.sqlite").path)
        durableRouter.start()
        defer { try? durableRouter.stopAndClean() }

        if want("throughput") || want("latency") || want("scale") {
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
        if want("postgres") {
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

        if want("offers") {
            print("\nOffers, \(requests) requests at max rate, 10 operators (fastest of 3 runs each):")
            let plain = try startService("plain", operators: 10)
            defer { try? plain.stop(); try? plain.deleteTopology() }
            let offering = try startService("offering", operators: 10, offerTimeoutSeconds: 60)
            defer { try? offering.stop(); try? offering.deleteTopology() }
            let (off, offCPU) = try fastestWithCPU(service: plain) {
                try measure("offers off", queue: plain.topology.requests, exchange: plain.topology.events, count: requests, rate: nil)
            }
            let console = AcceptingConsole.accepting(url: url, topology: offering.topology)
            console.start()
            let (on, onCPU) = try fastestWithCPU(service: offering) {
                try measure("offers on, console accepts", queue: offering.topology.requests, exchange: offering.topology.events,
                            pattern: EventName.requestAssigned.rawValue, count: requests, rate: nil)
            }
            let accepted = try console.stop()
            // The same two ceilings for a router with no database: one message in and one out
            // per request, against two in (the request, the accept) and two out (offered, passed).
            let plainCeiling = try fastest { try measure("pass-through", queue: passThrough.queue, exchange: passThrough.output, count: requests, rate: nil) }
            let offeringPassThrough = try PassThrough(url: url, prefix: tag, queueType: queueType, offering: true)
            offeringPassThrough.start()
            defer { try? offeringPassThrough.stopAndClean() }
            let echo = AcceptingConsole.echoing(url: url, passThrough: offeringPassThrough)
            echo.start()
            let offeringCeiling = try fastest {
                try measure("pass-through, answered", queue: offeringPassThrough.queue, exchange: offeringPassThrough.output,
                            pattern: "passed", count: requests, rate: nil)
            }
            _ = try echo.stop()
            // And for a durable router: the request and the answer each committed before they go on.
            let (durableCeiling, durableCPU) = try fastestWithCPU(router: durableRouter) {
                try measure("durable router", queue: durableRouter.queue, exchange: durableRouter.output, count: requests, rate: nil)
            }
            let offeringDurableRouter = try PassThrough(url: url, prefix: tag, queueType: queueType, offering: true,
                                                        journal: folder.appendingPathComponent("durable-router-offering.sqlite").path)
            offeringDurableRouter.start()
            defer { try? offeringDurableRouter.stopAndClean() }
            let durableEcho = AcceptingConsole.echoing(url: url, passThrough: offeringDurableRouter)
            durableEcho.start()
            let (offeringDurableCeiling, offeringDurableCPU) = try fastestWithCPU(router: offeringDurableRouter) {
                try measure("durable router, answered", queue: offeringDurableRouter.queue, exchange: offeringDurableRouter.output,
                            pattern: "passed", count: requests, rate: nil)
            }
            _ = try durableEcho.stop()
            print("  offers off                 \(off.summary)")
            print("  offers on, every accepted  \(on.summary)   (publish → request.assigned; \(accepted) accepts sent)")
            print("  pass-through               \(plainCeiling.summary)")
            print("  pass-through, answered     \(offeringCeiling.summary)   (in, offered, answer in, passed)")
            print("  durable router             \(durableCeiling.summary)")
            print("  durable router, answered   \(offeringDurableCeiling.summary)   (each of the two ins committed first)")
            ratioLine("offers on / offers off throughput", on.perSecond / off.perSecond, target: ">= 0.50")
            ratioLine("the same for the pass-through (the broker's share)", offeringCeiling.perSecond / plainCeiling.perSecond, target: "reference")
            ratioLine("the same for the durable router (broker and disk)", offeringDurableCeiling.perSecond / durableCeiling.perSecond,
                      target: "reference")
            ratioLine("offers off / durable router", off.perSecond / durableCeiling.perSecond, target: "reference")
            ratioLine("offers on / durable router, answered", on.perSecond / offeringDurableCeiling.perSecond, target: "reference")
            cpuLines([("offers off", offCPU), ("offers on, every accepted", onCPU), ("durable router", durableCPU),
                      ("durable router, answered", offeringDurableCPU)])
            // As for the throughput part: what the service may spend per request with offers on
            // for half of the offers-off throughput, the broker and the bench using what they did.
            let budget = offCPU.total / 0.5 - onCPU.broker - onCPU.producerAndSink
            print(String(format: "    for 0.50 of offers off at the same CPU per request elsewhere, the service may use %.1f µs per request of its own with offers on (it used %.1f)",
                         budget, onCPU.own))

            print("\n\(expiring) offers expiring in the same second, nobody answering (20 operators, 2 s offers):")
            let expiry = try ServiceUnderTest(url: url, prefix: "\(tag)-expiry", databasePath: folder.appendingPathComponent("expiry.sqlite").path,
                                              queueType: queueType, environment: ["SWITCHBOARD_AWAY_AFTER_MISSED": "0"])
            defer { try? expiry.stop(); try? expiry.deleteTopology() }
            try expiry.setUp(operators: 20, offerTimeoutSeconds: 2)
            let (offered, lateness) = try MassExpiry(url: url, topology: expiry.topology).run(count: expiring, run: runId())
            let at = { (p: Double) in lateness.isEmpty ? .nan : lateness[min(lateness.count - 1, Int(Double(lateness.count) * p))] }
            print(String(format: "  %d offered, %d re-routed; after its deadline a re-route arrived: p50 %.2f s, p99 %.2f s, last %.2f s",
                         offered, lateness.count, at(0.5), at(0.99), lateness.last ?? .nan))
            print("  (target: all re-routed within 2 s)")
            figures["offers"] = ["off": off.json, "on_accepting": on.json, "ratio": on.perSecond / off.perSecond,
                                 "pass_through": plainCeiling.json, "pass_through_answered": offeringCeiling.json,
                                 "durable_router": durableCeiling.json, "durable_router_answered": offeringDurableCeiling.json,
                                 "cpu_off": offCPU.json, "cpu_on": onCPU.json, "cpu_durable_router": durableCPU.json,
                                 "cpu_durable_router_answered": offeringDurableCPU.json,
                                 "expiring": expiring, "rerouted": lateness.count, "reroute_last_s": lateness.last ?? -1,
                                 "reroute_p50_s": at(0.5)]
        }

        if want("roles") {
            print("\nRoles and the audit trail (3 operators; the bench's user is an admin when roles are set):")
            let open = try startService("open", operators: 3)
            defer { try? open.stop(); try? open.deleteTopology() }
            let guarded = try startService("guarded", operators: 3, environment: [
                "SWITCHBOARD_ADMIN_USERS": url.user, "SWITCHBOARD_CONSOLE_USERS": "bench-console",
            ])
            defer { try? guarded.stop(); try? guarded.deleteTopology() }
            // Round trips in alternating blocks, the best block median of each: the same
            // method for both, so only the access check and nothing else differs.
            let commands: [(String, [String: JSONValue])] = [
                ("operator.get", ["id": 1]), ("stats.operators_load", [:]), ("operator.update", ["id": 2, "max_load_limit": 10_000]),
            ]
            var timings: [String: Double] = [:]
            for (command, args) in commands {
                var best = (open: Double.infinity, guarded: Double.infinity)
                for round in 0..<6 {
                    for guardedTurn in round % 2 == 0 ? [false, true] : [true, false] {
                        let median = try (guardedTurn ? guarded : open).time(command, args, repeat: 100)
                        if guardedTurn { best.guarded = min(best.guarded, median) } else { best.open = min(best.open, median) }
                    }
                }
                print(String(format: "  %-22@ %6.3f ms without roles   %6.3f ms with roles", command as NSString, best.open, best.guarded))
                ratioLine("\(command) with roles / without", best.guarded / best.open, target: "<= 1.10")
                timings[command] = best.guarded / best.open
            }
            let openIntake = try fastest { try measure("intake, no roles", queue: open.topology.requests, exchange: open.topology.events, count: requests, rate: nil) }
            let guardedIntake = try fastest { try measure("intake, roles", queue: guarded.topology.requests, exchange: guarded.topology.events, count: requests, rate: nil) }
            print("  intake without roles  \(openIntake.summary)")
            print("  intake with roles     \(guardedIntake.summary)")
            ratioLine("intake with roles / without", guardedIntake.perSecond / openIntake.perSecond, target: ">= 0.95")

            // audit.list on about 1,000 rows, then on a million, each query returning as many
            // rows at both sizes: the last page, a user's rows (10 of them at 1,000), a common
            // and a rare command's, and a user with none (an empty index range).
            let audits: [(String, [String: JSONValue])] = [
                ("no filter, last page", [:]), ("user, 10 rows", ["user": "history-user-7", "limit": 10]),
                ("command, 100 rows", ["command": "request.accept"]), ("rare command, 1 row", ["command": "operator.delete", "limit": 1]),
                ("user with no rows", ["user": "nobody"]),
            ]
            let admin = ["SWITCHBOARD_ADMIN_USERS": url.user]
            var audited = try startService("audit", operators: 3, environment: admin)
            defer { try? audited.stop(); try? audited.deleteTopology() }
            func auditTimes(rows: Int) throws -> [Double] {
                try audited.stop()
                let total = try History.add(auditRows: rows, to: audited.databasePath)
                audited = try startService("audit", operators: 3, environment: admin)
                return try audits.map { _, filter in
                    var args = filter
                    if filter.isEmpty { args["after_id"] = .integer(Int64(total - 100)) }
                    return try audited.time("audit.list", args, repeat: 50)
                }
            }
            let small = try auditTimes(rows: 1_000)
            FileHandle.standardError.write(Data("  storing \(history) audit rows...\r".utf8))
            let large = try auditTimes(rows: history)
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            for (index, (label, _)) in audits.enumerated() {
                print(String(format: "  audit.list, %-22@ %6.3f ms at ~1,000 rows   %6.3f ms at ~%d", label as NSString, small[index], large[index], history))
                ratioLine("audit.list, \(label), large / small", large[index] / small[index], target: "<= 2")
            }
            figures["roles"] = ["commands_ratio": timings, "intake_open": openIntake.json, "intake_roles": guardedIntake.json,
                                "intake_ratio": guardedIntake.perSecond / openIntake.perSecond,
                                "audit_list_ms_1k": small, "audit_list_ms_large": large]
        }

        if want("http") {
            print("\nThe HTTP side: intake while Prometheus scrapes /metrics every second and a dashboard holds the live feed (fastest of 3 each):")
            let service = try startService("http", operators: 3)
            defer { try? service.stop(); try? service.deleteTopology() }
            let alone = try fastest { try measure("intake, nobody watching", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil) }
            let watchers = HTTPWatchers(port: service.httpPort)
            watchers.start()
            let watched = try fastest { try measure("intake, watched", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil) }
            watchers.finish()
            print("  nobody watching  \(alone.summary)")
            print("  watched          \(watched.summary)   (\(watchers.scrapes.load(ordering: .relaxed)) scrapes, \(watchers.feedBytes.load(ordering: .relaxed) / 1024) KiB of feed)")
            ratioLine("intake watched / nobody watching", watched.perSecond / alone.perSecond, target: ">= 0.95")

            let many = try startService("http-many", operators: 1_000)
            defer { try? many.stop(); try? many.deleteTopology() }
            func scrapeMilliseconds(_ port: Int) throws -> Double {
                let http = RawHTTP(port: port)
                _ = try http.get("/metrics")  // the first scrape makes the series
                var samples: [Double] = []
                for _ in 0..<30 {
                    let start = nowNanos()
                    _ = try http.get("/metrics")
                    samples.append(Double(nowNanos() - start) / 1e6)
                }
                return samples.sorted()[samples.count / 2]
            }
            let three = try scrapeMilliseconds(service.httpPort)
            let thousand = try scrapeMilliseconds(many.httpPort)
            print(String(format: "  a scrape of /metrics: %.2f ms with 3 operators, %.2f ms with 1,000 (median of 30)", three, thousand))
            ratioLine("scrape with 1,000 operators / with 3", thousand / three, target: "<= 3")
            figures["http"] = ["alone": alone.json, "watched": watched.json, "ratio": watched.perSecond / alone.perSecond,
                               "scrape_ms_3": three, "scrape_ms_1000": thousand]
        }

        if want("memory") {
            print("\nResident memory over \(memoryRequests) requests at max rate (30 operators):")
            let service = try startService("memory", operators: 30)
            defer { try? service.stop(); try? service.deleteTopology() }
            let id = runId()
            let sink = Sink(url: url, exchange: service.topology.events, run: id, expected: memoryRequests)
            let samples = NSLock()
            nonisolated(unsafe) var rss: [(Int, Int)] = [(0, service.residentKiB)]
            let pid = service.processIdentifier
            sink.onProgress = { received in
                let kib = ServiceUnderTest.residentKiB(pid)
                samples.withLock { rss.append((received, kib)) }
                FileHandle.standardError.write(Data("\r  \(received)/\(self.memoryRequests) requests, RSS \(kib / 1024) MiB        ".utf8))
            }
            sink.start(stallTimeout: .seconds(60))
            var first: UInt64 = 0
            try Producer(url: url, queue: service.topology.requests, source: "bench")
                .publish(count: memoryRequests, run: id, ratePerSecond: nil) { first = $0 }
            let result = try sink.finish(firstSend: first)
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            let final = service.residentKiB
            let points = samples.withLock { rss + [(memoryRequests, final)] }
            let early = points.first { $0.0 >= 10_000 } ?? points[0]
            for point in points where point.0 == 0 || point.0 == early.0 || point.0 % 50_000 < 6_000 || point.0 == memoryRequests {
                print(String(format: "  after %7d requests: %6.1f MiB", point.0, Double(point.1) / 1024))
            }
            print("  throughput    \(result.summary)")
            ratioLine("RSS at \(memoryRequests) / RSS at \(early.0) requests", Double(final) / Double(early.1), target: "<= 1.10")
            figures["memory"] = ["rss_kib_early": early.1, "early_at": early.0, "rss_kib_final": final, "ratio": Double(final) / Double(early.1)]
        }

        if want("scale") {
            print("\nCost as the data grows:")
            let commands: [(String, [String: JSONValue])] = [
                ("stats.operators_load", [:]), ("stats.requests_distribution", [:]), ("service.status", [:]),
                ("request.list", ["limit": 100]),
            ]
            // 10,000 requests a day, so that the service level's 24-hour window holds as many
            // requests at 10,000 stored as at a million: its cost must follow the window.
            let day: Int64 = 8_640
            let serviceLevel = "stats.service_level"
            // The history's message ids are years old: with the default dedupe window the
            // writer would spend this part forgetting a million of them (measured: every
            // command 2.7x slower meanwhile), a cost the retention part measures on its own.
            let keepIds = ["SWITCHBOARD_DEDUPE_WINDOW": "36500d"]
            var service = try startService("scale", operators: 3, environment: keepIds)
            try service.stop()
            try History.add(requests: 10_000, to: service.databasePath, spacingMilliseconds: day)
            service = try startService("scale", operators: 3, environment: keepIds)
            var small: [String: Double] = [:]
            for (command, args) in commands { small[command] = try service.time(command, args) }
            small[serviceLevel] = try service.time(serviceLevel, History.lastDay(of: service.databasePath))
            try service.stop()
            FileHandle.standardError.write(Data("  storing \(history) more requests...\r".utf8))
            try History.add(requests: history, to: service.databasePath, spacingMilliseconds: day)
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            service = try startService("scale", operators: 3, environment: keepIds)
            var large: [String: Double] = [:]
            for (command, args) in commands { large[command] = try service.time(command, args) }
            large[serviceLevel] = try service.time(serviceLevel, History.lastDay(of: service.databasePath))
            let big = try fastest { try measure("intake, \(history) stored", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil) }
            try service.stop()
            try service.deleteTopology()
            for command in commands.map(\.0) + [serviceLevel] {
                print("  \(command.padding(toLength: 28, withPad: " ", startingAt: 0)) "
                    + String(format: "%7.2f ms at 10,000 stored   %7.2f ms at %d", small[command]!, large[command]!, history + 10_000))
                ratioLine("\(command) at \(history + 10_000) / at 10,000", large[command]! / small[command]!, target: "<= 2")
            }
            print("  (\(serviceLevel): a 24-hour window of 10,000 requests in both)")
            let empty = figures["empty_intake_per_second"] as? Double ?? big.perSecond
            print(String(format: "  intake: %8.0f req/s on an empty database, %8.0f req/s with %d stored", empty, big.perSecond, history + 10_000))
            ratioLine("intake with \(history + 10_000) stored / empty", big.perSecond / empty, target: ">= 0.90")

            let many = try startService("many", operators: 1_000, environment: keepIds)
            let manyResult = try fastest { try measure("1,000 operators", queue: many.topology.requests, exchange: many.topology.events, count: requests, rate: nil) }
            try many.stop()
            try many.deleteTopology()
            print(String(format: "  intake: %8.0f req/s with 3 weighted operators, %8.0f req/s with 1,000", empty, manyResult.perSecond))
            ratioLine("intake with 1,000 operators / with 3", manyResult.perSecond / empty, target: ">= 0.80")
            figures["scale"] = ["commands_ms_10k": small, "commands_ms_large": large, "intake_large_per_second": big.perSecond,
                                "intake_1000_operators_per_second": manyResult.perSecond]
        }

        if want("routing") {
            print("\nSticky routing: \(requests) requests at max rate from 1,000 returning users, 3 operators, sticky_seconds 3600 against off (alternating, fastest of 3 each):")
            let plain = try startService("sticky-off", operators: 3)
            defer { try? plain.stop(); try? plain.deleteTopology() }
            let sticky = try startService("sticky-on", operators: 3)
            defer { try? sticky.stop(); try? sticky.deleteTopology() }
            guard try sticky.client.call("source.update", ["id": 1, "sticky_seconds": 3_600]).ok else {
                throw ValidationError("source.update refused sticky_seconds")
            }
            let best = try fastestInTurns([contender("sticky off", plain), contender("sticky on", sticky)])
            let (off, on) = (best["sticky off"]!, best["sticky on"]!)
            print("  sticky off  \(off.summary)")
            print("  sticky on   \(on.summary)")
            ratioLine("sticky on / sticky off throughput", on.perSecond / off.perSecond, target: ">= 0.80")
            figures["sticky"] = ["off": off.json, "on": on.json, "ratio": on.perSecond / off.perSecond]

            if let baseline {
                // None of the routing features configured: this build against an earlier one,
                // throughput alternating (fastest of 3) and paced latency in alternating blocks.
                print("\nThis build against \(baseline), nothing of priority, escalation or stickiness configured:")
                let before = try startService("baseline", operators: 3, executable: URL(fileURLWithPath: baseline))
                defer { try? before.stop(); try? before.deleteTopology() }
                let after = try startService("current", operators: 3)
                defer { try? after.stop(); try? after.deleteTopology() }
                let pair = [contender("before", before), contender("after", after)]
                let fastestOf = try fastestInTurns(pair)
                let paced = try pacedInTurns(pair)
                print("  before  \(fastestOf["before"]!.summary)   paced: \(paced["before"]!.summary)")
                print("  after   \(fastestOf["after"]!.summary)   paced: \(paced["after"]!.summary)")
                ratioLine("after / before throughput", fastestOf["after"]!.perSecond / fastestOf["before"]!.perSecond, target: ">= 0.90")
                ratioLine("after / before paced p50", paced["after"]!.percentile(50) / paced["before"]!.percentile(50), target: "<= 1.10")
                ratioLine("after / before paced p99", paced["after"]!.percentile(99) / paced["before"]!.percentile(99), target: "<= 1.10")
                figures["baseline"] = ["throughput_before": fastestOf["before"]!.json, "throughput_after": fastestOf["after"]!.json,
                                       "paced_before": paced["before"]!.json, "paced_after": paced["after"]!.json]
            }
        }

        if want("retention") {
            print("\nThe dedupe window: intake while the writer forgets \(history) expired message ids, against the same database whose window keeps them (\(requests) requests at max rate, alternating, 3 runs each):")
            // The history's ids date from 2023: a 7-day window forgets them all, one of 100 years none.
            func withHistory(_ name: String, environment: [String: String]) throws -> ServiceUnderTest {
                try startService(name, operators: 3, environment: environment).stop()
                FileHandle.standardError.write(Data("  storing \(history) requests for \(name)...\r".utf8))
                try History.add(requests: history, to: folder.appendingPathComponent("\(name).sqlite").path)
                FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
                return try startService(name, operators: 3, environment: environment)
            }
            let keeping = try withHistory("keeping", environment: ["SWITCHBOARD_DEDUPE_WINDOW": "36500d"])
            defer { try? keeping.stop(); try? keeping.deleteTopology() }
            let forgetting = try withHistory("forgetting", environment: ["SWITCHBOARD_DEDUPE_WINDOW": "7d"])
            defer { try? forgetting.stop(); try? forgetting.deleteTopology() }
            let forgotten = { () -> Int in
                guard case let .integer(n)? = try? forgetting.client.call("service.status").result?["counters"]?["message_ids_forgotten"] else { return -1 }
                return Int(n)
            }
            var runs: [(forgetting: RunResult, keeping: RunResult, forgottenAfter: Int)] = []
            for _ in 0..<3 {
                let during = try measure("intake, forgetting", queue: forgetting.topology.requests, exchange: forgetting.topology.events, count: requests, rate: nil)
                let after = forgotten()
                let kept = try measure("intake, keeping", queue: keeping.topology.requests, exchange: keeping.topology.events, count: requests, rate: nil)
                runs.append((during, kept, after))
                print(String(format: "  forgetting %8.0f req/s (%7d ids forgotten by its end)   keeping %8.0f req/s", during.perSecond, after, kept.perSecond))
            }
            let busy = runs.filter { $0.forgottenAfter < history }
            if let best = busy.max(by: { $0.forgetting.perSecond < $1.forgetting.perSecond }) {
                let keptBest = runs.map(\.keeping.perSecond).max() ?? .nan
                ratioLine("intake while forgetting / keeping (runs with a backlog left)", best.forgetting.perSecond / keptBest, target: ">= 0.95")
                figures["retention"] = ["forgetting_per_second": best.forgetting.perSecond, "keeping_per_second": keptBest,
                                        "ratio": best.forgetting.perSecond / keptBest, "forgotten_after_runs": runs.map(\.forgottenAfter)]
            } else {
                print("  the backlog was gone before the first run ended: store more history (--history) to measure during it")
            }
            let drainStart = ContinuousClock.now
            while forgotten() < history, ContinuousClock.now - drainStart < .seconds(600) { Thread.sleep(forTimeInterval: 0.2) }
            print("  every expired id forgotten \(ContinuousClock.now - drainStart) after the runs (\(forgotten()) in all)")
            try? keeping.stop(); try? keeping.deleteTopology()
            try? forgetting.stop(); try? forgetting.deleteTopology()

            // Closed requests: the same million, older than a 1-day SWITCHBOARD_RETAIN_CLOSED on
            // one side and kept on the other; both keep every message id, so that only the
            // archive-then-delete differs.
            print("\nClosed requests archived and deleted: \(history) closed long ago, SWITCHBOARD_RETAIN_CLOSED=1d against off (3 max-rate runs each, then \(pacedRequests) paced in 10 alternating blocks):")
            let purging = try withHistory("purging", environment: ["SWITCHBOARD_RETAIN_CLOSED": "1d", "SWITCHBOARD_DEDUPE_WINDOW": "36500d"])
            defer { try? purging.stop(); try? purging.deleteTopology() }
            let unpurged = try withHistory("unpurged", environment: ["SWITCHBOARD_DEDUPE_WINDOW": "36500d"])
            defer { try? unpurged.stop(); try? unpurged.deleteTopology() }
            let purgedSoFar = { () -> Int in
                guard case let .integer(n)? = try? purging.client.call("service.status").result?["requests_purged"] else { return -1 }
                return Int(n)
            }
            var maxRate: [(purging: RunResult, unpurged: RunResult)] = []
            for _ in 0..<3 {
                let during = try measure("intake, purging", queue: purging.topology.requests, exchange: purging.topology.events, count: requests, rate: nil)
                let kept = try measure("intake, unpurged", queue: unpurged.topology.requests, exchange: unpurged.topology.events, count: requests, rate: nil)
                maxRate.append((during, kept))
                print(String(format: "  purging %8.0f req/s (%7d purged by its end)   unpurged %8.0f req/s", during.perSecond, purgedSoFar(), kept.perSecond))
            }
            let bestPurging = maxRate.map(\.purging.perSecond).max() ?? .nan
            let bestUnpurged = maxRate.map(\.unpurged.perSecond).max() ?? .nan
            let paced = try pacedInTurns([contender("purging", purging), contender("unpurged", unpurged)])
            let (pacedPurging, pacedUnpurged) = (paced["purging"]!, paced["unpurged"]!)
            print("  purging    \(pacedPurging.summary)")
            print("  unpurged   \(pacedUnpurged.summary)")
            let purgedByEnd = purgedSoFar()
            print("  \(purgedByEnd) of \(history) purged by the end: the backlog lasted the whole run")
            ratioLine("intake while purging / unpurged", bestPurging / bestUnpurged, target: ">= 0.95")
            ratioLine("paced p99 while purging / unpurged", pacedPurging.percentile(99) / pacedUnpurged.percentile(99), target: "<= 1.10")

            figures["archive"] = ["purging_per_second": bestPurging, "unpurged_per_second": bestUnpurged,
                                  "paced_p99_purging_ms": pacedPurging.percentile(99), "paced_p99_unpurged_ms": pacedUnpurged.percentile(99),
                                  "purged_by_end": purgedByEnd]
        }

        // Part of the retention figures; `--only days` runs it alone (no broker needed).
        if want("retention") || only == "days" {
            let days = try SimulatedDays.run(days: 10, perDay: 20_000, retain: .seconds(2 * 86_400), folder: folder)
            print("\nTen simulated days on the store alone, 20,000 requests a day closed the same day, SWITCHBOARD_RETAIN_CLOSED=2d, SWITCHBOARD_RETAIN_AUDIT=2d:")
            for day in days {
                print(String(format: "  day %2d: database %7.2f MiB, log %6.2f MiB, %6d requests stored",
                             day.day, Double(day.databaseBytes) / 1_048_576, Double(day.walBytes) / 1_048_576, day.stored))
            }
            let third = Double(days[2].databaseBytes), tenth = Double(days[9].databaseBytes)
            ratioLine("database size after day 10 / after day 3", tenth / third, target: "<= 1.10")
            figures["simulated_days"] = ["day3_bytes": days[2].databaseBytes, "day10_bytes": days[9].databaseBytes]
        }

        if want("cluster") {
            let node = try AMQPBrokers(parsing: cluster).connectionOrder[0]
            print("\nThe cluster: \(requests) requests at max rate through one node of three, quorum queues replicated three ways, against one node alone (fastest of 3 each):")
            if RawHTTP.listens(node.port) {
                // Everything on one node in each case (the service, the ceilings, producer and
                // sink), so the two ratios differ by the replication alone.
                func shares(on url: AMQPURL, _ name: String) throws -> (service: RunResult, passThrough: RunResult, durable: RunResult) {
                    let service = try startService(name, operators: 3, on: url)
                    defer { try? service.stop(); try? service.deleteTopology() }
                    let passThrough = try PassThrough(url: url, prefix: "\(tag)-\(name)", queueType: queueType)
                    passThrough.start()
                    defer { try? passThrough.stopAndClean() }
                    let durable = try PassThrough(url: url, prefix: "\(tag)-\(name)", queueType: queueType,
                                                  journal: folder.appendingPathComponent("\(name)-durable-router.sqlite").path)
                    durable.start()
                    defer { try? durable.stopAndClean() }
                    return (try fastest { try measure("service, \(name)", queue: service.topology.requests, exchange: service.topology.events, count: requests, rate: nil, on: url) },
                            try fastest { try measure("pass-through, \(name)", queue: passThrough.queue, exchange: passThrough.output, count: requests, rate: nil, on: url) },
                            try fastest { try measure("durable router, \(name)", queue: durable.queue, exchange: durable.output, count: requests, rate: nil, on: url) })
                }
                let single = try shares(on: url, "one-node")
                let replicated = try shares(on: node, "cluster")
                for (name, result) in [("one node", single), ("cluster ", replicated)] {
                    print("  \(name), service         \(result.service.summary)")
                    print("  \(name), pass-through    \(result.passThrough.summary)")
                    print("  \(name), durable router  \(result.durable.summary)")
                }
                let share = { (run: (service: RunResult, passThrough: RunResult, durable: RunResult)) in
                    (passThrough: run.service.perSecond / run.passThrough.perSecond, durable: run.service.perSecond / run.durable.perSecond)
                }
                let (one, three) = (share(single), share(replicated))
                ratioLine("service / pass-through, one node", one.passThrough, target: "reference")
                ratioLine("service / pass-through, cluster", three.passThrough, target: String(format: "%.2f ± 0.10", one.passThrough))
                ratioLine("service / durable router, one node", one.durable, target: "reference")
                ratioLine("service / durable router, cluster", three.durable, target: String(format: "%.2f ± 0.10", one.durable))
                figures["cluster"] = ["one_node": ["service": single.service.json, "pass_through": single.passThrough.json, "durable_router": single.durable.json],
                                      "cluster": ["service": replicated.service.json, "pass_through": replicated.passThrough.json, "durable_router": replicated.durable.json],
                                      "ratio_one_node": one.passThrough, "ratio_cluster": three.passThrough,
                                      "durable_ratio_one_node": one.durable, "durable_ratio_cluster": three.durable]
            } else {
                print("  skipped: \(node) does not answer (scripts/broker cluster start)")
            }
        }

        if let json {
            let data = try JSONSerialization.data(withJSONObject: figures, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
            print("\nfigures written to \(json)")
        }
    }
}
