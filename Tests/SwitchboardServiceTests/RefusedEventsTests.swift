import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// Events a subscriber's queue refuses (reject-publish) are published again from the store
/// until it takes them, for SWITCHBOARD_EVENT_RETRY_FOR; then set aside, listed and resent.
@Suite struct RefusedEventsTests {
    static func floor(_ client: ControlClient) throws {
        try client.ok("operator.create", ["name": "A", "max_load_limit": 10_000])
        try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
        try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
    }

    /// The schedule is the writer's and the same over both stores (the kill -9 test below
    /// runs on both); this minute runs once, on SQLite.
    @Test(.enabled(if: TestDatabase.isSQLite, "the writer's schedule, the same on PostgreSQL"))
    func aConsoleQueueFullForOverAMinuteThenDrainedGetsEveryEventWhileIntakeGoesOn() async throws {
        let running = await RunningService(label: "refuse-minute")
        let outcome = try await withClient(running.prefix) { client, watcher in
            try Self.floor(client)
            let console = try RefusingConsole(prefix: running.prefix, room: 50)
            defer { console.close() }
            try client.sendIntake(intakeBatch(0..<600, label: "a"))
            let storedFirst = try client.waitForCount(600, timeout: .seconds(30))
            let fullSince = ContinuousClock.now
            // Held full for over a minute, with intake going on halfway: nothing is set aside.
            var mostSetAside: Int64 = 0, fewestRetrying = Int64.max, storedSecond = 0, slowest = Duration.zero
            var copies: [ReceivedEvent] = [], stillFull: UInt32 = 0
            _ = try? eventually(within: .seconds(90), every: .seconds(1), "the console's queue full for 61 s") { seen -> Bool? in
                // Both subscribers' connections stay in use, as a live console's do (heartbeats).
                copies += try #require(watcher).collect(100_000, quietFor: .milliseconds(50), timeout: .milliseconds(500))
                stillFull = try console.messageCount
                let asked = ContinuousClock.now
                let status = try client.ok("service.status")
                slowest = max(slowest, .now - asked)
                mostSetAside = max(mostSetAside, status["events_set_aside"]?.int ?? -1)
                fewestRetrying = min(fewestRetrying, status["events_retrying"]?.int ?? -1)
                if storedSecond == 0, ContinuousClock.now - fullSince > .seconds(30) {
                    try client.sendIntake(intakeBatch(600..<1_200, label: "a"))
                    storedSecond = try client.waitForCount(1_200, timeout: .seconds(30))
                }
                seen = "retrying \(status["events_retrying"]?.int ?? -1)"
                return ContinuousClock.now - fullSince > .seconds(61) ? true : nil
            }
            let received = try console.drain(until: { $0.count >= 1_200 }, timeout: .seconds(90))
            copies += try #require(watcher).collect(100_000, quietFor: .seconds(2), timeout: .seconds(60))
            let settled = try client.waitForStatus(timeout: .seconds(30)) { $0["outbox_pending"]?.int == 0 }
            return (storedFirst, storedSecond, slowest, mostSetAside, fewestRetrying, stillFull, received, copies, settled)
        }
        let (storedFirst, storedSecond, slowest, mostSetAside, fewestRetrying, stillFull, received, copies, settled) = outcome
        #expect(storedFirst == 600 && storedSecond == 1_200, "intake went on while the queue refused")
        #expect(slowest < .seconds(5), "no command waited on the subscriber")
        #expect(stillFull == 50)
        #expect(mostSetAside == 0, "nothing set aside within SWITCHBOARD_EVENT_RETRY_FOR")
        #expect(fewestRetrying >= 550, "the refused were retrying all along")
        #expect(received.count == 1_200, "the drained console got every event")
        #expect(received.values.allSatisfy { sequence(of: $0) != nil })
        // The healthy subscriber: every event at least once, each copy the same event.
        var byId: [String: Set<[UInt8]>] = [:]
        for copy in copies { byId[copy.properties.messageId ?? "", default: []].insert(copy.body) }
        #expect(Set(byId.keys).isSuperset(of: received.keys), "the healthy subscriber saw every event")
        #expect(copies.count > byId.count, "retried events reached it again: \(copies.count) copies of \(byId.count)")
        #expect(byId.values.allSatisfy { $0.count == 1 }, "a copy keeps its event_id, occurred_at and sequence, byte for byte")
        #expect(settled["events_retrying"]?.int == 0)
        #expect(settled["counters"]?["event_retries"]?.int ?? 0 > 0)
        try await running.finish()
    }

    @Test func afterItsTimeARefusedEventIsSetAsideListedAndResentByAnAuditedAdmin() async throws {
        let running = await RunningService(label: "refuse-2s", access: AccessPolicy(admins: ["guest"], consoles: []),
                                           eventRetryFor: .seconds(2))
        let total = 200, room = 10
        try await withClient(running.prefix, watching: nil) { client, _ in
            try Self.floor(client)
            let console = try RefusingConsole(prefix: running.prefix, room: room)
            defer { console.close() }
            try client.sendIntake(intakeBatch(0..<total, label: "s"))
            let status = try client.waitForStatus(timeout: .seconds(30)) {
                $0["events_set_aside"]?.int == Int64(total - room) && $0["events_retrying"]?.int == 0
            }
            #expect(status["events_set_aside"]?.int == Int64(total - room), "set aside once 2 s had passed: \(status)")

            let page = try client.ok("events.list_set_aside", ["limit": 150]).array
            let lastId = try #require(page.last?["event_id"]?.string)
            let rest = try client.ok("events.list_set_aside", ["after_event_id": .string(lastId)]).array
            let listed = (page + rest).compactMap { $0["event_id"]?.string }
            #expect(listed.count == total - room && Set(listed).count == total - room)
            #expect((page + rest).allSatisfy { $0["routing_key"]?.string == "request.assigned" && $0["event"]?["sequence"]?.int != nil })

            // switchboardctl shows them, and resends them once asked with a filter or --all.
            let table = try ctl(["events", "set-aside", "--limit", "5"], prefix: running.prefix)
            #expect(table.status == 0 && table.stdout.split(separator: "\n").count == 6, "a header and five rows:\n\(table.stdout)")
            #expect(table.stdout.contains(listed[0]) && table.stdout.contains("request.assigned"))
            let unfiltered = try ctl(["events", "resend"], prefix: running.prefix)
            #expect(unfiltered.status == 1 && unfiltered.stderr.contains("all: is required"), "\(unfiltered.stderr)")
            try console.makeRoom(1_000)
            let resent = try ctl(["events", "resend", "--routing-key", "request.assigned"], prefix: running.prefix)
            #expect(resent.stdout.contains("Resent \(total - room) event(s)"), "\(resent.stdout) \(resent.stderr)")
            let received = try console.drain(until: { $0.count >= total - room }, timeout: .seconds(30))
            #expect(Set(received.keys) == Set(listed), "the resent events, each once more")
            #expect(try client.ok("events.list_set_aside").array.isEmpty)
            let audit = try client.ok("audit.list", ["command": "events.resend"]).array
            #expect(audit.map { $0["user"]?.string } == ["guest", "guest"], "who tried, and who resent them")
            #expect(audit.map { $0["outcome"]?.string } == ["validation_error", "ok"])
        }
        try await running.finish()
    }

    /// kill -9 while 5,000 refused events wait in the store: after the restart (on
    /// PostgreSQL a standby's takeover) they are all still retried, none set aside, and a
    /// console that drains its queue gets every one.
    @Test func killNineWhileEventsAreRetryingLosesNoneAndSetsNoneAsideEarly() async throws {
        let prefix = uniquePrefix("refuse-kill9")
        let database = temporaryDatabase()
        let total = 5_000, room = 10
        let outcome = try await DedicatedThread.run { () -> (before: JSONValue, after: JSONValue, received: Int, settled: JSONValue, log: String) in
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            var service = try ServiceProcess(prefix: prefix, databasePath: database)
            defer { _ = service.terminate(timeout: .seconds(10)) }
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { return (.null, .null, 0, .null, service.output) }
            let next = try NextWriter(prefix: prefix, database: database)
            try Self.floor(client)
            let console = try RefusingConsole(prefix: prefix, room: room)
            defer { console.close() }
            try client.sendIntake(intakeBatch(0..<total, label: "k"))
            let before = try client.waitForStatus(timeout: .seconds(60)) { $0["events_retrying"]?.int == Int64(total - room) }
            next.holdBack()
            service.kill9()
            service = try next.takeOver()
            guard try client.waitUntilAnswering(timeout: .seconds(60)) else { return (before, .null, 0, .null, service.output) }
            let after = try client.waitForStatus(timeout: .seconds(30)) { $0["events_retrying"]?.int == Int64(total - room) }
            let received = try console.drain(until: { $0.count >= total }, timeout: .seconds(90)).count
            let settled = try client.waitForStatus(timeout: .seconds(30)) { $0["outbox_pending"]?.int == 0 }
            return (before, after, received, settled, service.output)
        }
        #expect(outcome.before["events_retrying"]?.int == Int64(total - room), "before the kill: \(outcome.before)")
        #expect(outcome.after["events_retrying"]?.int == Int64(total - room), "after it, every one still retried: \(outcome.after)")
        #expect(outcome.after["events_set_aside"]?.int == 0, "none set aside early")
        #expect(outcome.received == total, "the drained console got every event; log:\n\(outcome.log.suffix(2_000))")
        #expect(outcome.settled["events_retrying"]?.int == 0)
        #expect(outcome.settled["events_set_aside"]?.int == 0)
        try await deleteTopology(prefix)
    }
}
