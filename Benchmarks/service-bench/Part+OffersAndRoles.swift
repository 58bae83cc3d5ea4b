import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardCore

/// Offers answered by a console, and roles with their audit.
extension BenchRun {
    func offers() throws {
        guard want("offers") else { return }
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
        print("  pass-through, answered     \(offeringCeiling.summary)   (in, offered, answer in, reply, passed)")
        print("  durable router             \(durableCeiling.summary)")
        print("  durable router, answered   \(offeringDurableCeiling.summary)   (each of the two ins committed first)")
        ratioLine("offers on / pass-through, answered (the same exchanges)", on.perSecond / offeringCeiling.perSecond, target: ">= 0.80")
        ratioLine("offers on / offers off throughput", on.perSecond / off.perSecond, target: "reference (was >= 0.50)")
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
        figures["offers"] = ["off": off.json, "on_accepting": on.json, "ratio": on.perSecond / off.perSecond, "ratio_to_pass_through_answered": on.perSecond / offeringCeiling.perSecond,
                             "pass_through": plainCeiling.json, "pass_through_answered": offeringCeiling.json,
                             "durable_router": durableCeiling.json, "durable_router_answered": offeringDurableCeiling.json,
                             "cpu_off": offCPU.json, "cpu_on": onCPU.json, "cpu_durable_router": durableCPU.json,
                             "cpu_durable_router_answered": offeringDurableCPU.json,
                             "expiring": expiring, "rerouted": lateness.count, "reroute_last_s": lateness.last ?? -1,
                             "reroute_p50_s": at(0.5)]
    }

    func roles() throws {
        guard want("roles") else { return }
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
}
