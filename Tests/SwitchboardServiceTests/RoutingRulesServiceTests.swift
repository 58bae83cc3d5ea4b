import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// Priority, escalation and overflow, sticky routing and the service level against the real
/// broker (../shared/CONTRACT.md, second edition).
@Suite struct RoutingRulesServiceTests {
    @Test func theWaitingLineIsServedByPriorityThenAge() async throws {
        let running = await RunningService(label: "priority")
        try await withClient(running.prefix) { client, watcher in
            let watcher = try #require(watcher)
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 1])
            try client.ok("source.create", ["name": "Chat", "identifier": "chat"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.intake(user: "busy", source: "chat", priority: 0, messageId: "busy")
            try client.intake(user: "n1", source: "chat", priority: 0, messageId: "normal-1")
            try client.intake(user: "n2", source: "chat", priority: 0, messageId: "normal-2")
            try client.intake(user: "vip", source: "chat", priority: 8, messageId: "urgent")
            let arrived = try watcher.collect(for: .seconds(10)) { $0.filter { $0.routingKey == "request.waiting" }.count == 3 }
            #expect(arrived.map(\.properties.correlationId) == ["busy", "normal-1", "normal-2", "urgent"])

            var served: [String] = []
            var holding: Int64 = 1
            for _ in 0..<3 {
                try client.ok("request.close", ["id": .integer(holding)])
                let next = try #require(watcher.collect(until: "request.assigned", timeout: .seconds(10)).last)
                #expect(next.event?.route == .waitingLine)
                served.append(next.properties.correlationId ?? "?")
                holding = next.request?.id ?? 0
            }
            #expect(served == ["urgent", "normal-1", "normal-2"])
        }
        try await running.finish()
    }

    @Test func aRequestWaitingPastMaxWaitEscalatesOnceAndOverflowsToAnUnweightedOperator() async throws {
        let running = await RunningService(label: "escalate")
        try await withClient(running.prefix) { client, watcher in
            let watcher = try #require(watcher)
            try client.ok("operator.create", ["name": "Team", "max_load_limit": 1, "is_active": false])
            try client.ok("source.create", ["name": "Chat", "identifier": "chat", "max_wait_seconds": 1])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.intake(user: "u1", source: "chat", priority: 0, messageId: "alone")
            let first = try watcher.collect(for: .seconds(10)) { $0.contains { $0.routingKey == "request.escalated" } }
            #expect(first.map(\.routingKey) == ["request.waiting", "request.escalated"])
            let escalated = try #require(first.last)
            let created = try #require(escalated.request?.createdAt)
            let fired = try #require(escalated.event?.occurredAt)
            #expect(fired.milliseconds - created.milliseconds >= 1000
                        && fired.milliseconds - created.milliseconds < 1000 + TestDatabase.deadlineSlackMilliseconds,
                    "escalated \(fired.milliseconds - created.milliseconds - 1000) ms after its deadline")
            #expect(escalated.request?.priority == 9 && (escalated.event?.waitedMs ?? 0) >= 1000)
            #expect(escalated.properties.correlationId == "alone")
            #expect(try watcher.collect(for: .seconds(2)) { !$0.isEmpty }.isEmpty, "escalated once")

            // With overflow, the next one goes to an operator without a weight for the source.
            try client.ok("operator.create", ["name": "Outsider", "max_load_limit": 5])
            try client.ok("source.update", ["id": 1, "overflow": true])
            let moved = try watcher.collect(until: "request.assigned", timeout: .seconds(10))
            #expect(moved.last?.request?.operatorId == 2 && moved.last?.event?.route == .overflow)
            try client.intake(user: "u2", source: "chat", priority: 0, messageId: "second")
            let second = try watcher.collect(until: "request.assigned", timeout: .seconds(10))
            #expect(second.map(\.routingKey) == ["request.waiting", "request.escalated", "request.assigned"])
            #expect(second.last?.request?.operatorId == 2 && second.last?.event?.route == .overflow)
        }
        try await running.finish()
    }

    /// kill -9 while requests wait toward their escalation: after the restart (on PostgreSQL,
    /// a standby's takeover) each is escalated exactly once (by event id), none lost.
    @Test func escalationsSurviveKillNineAndFireOnce() async throws {
        let prefix = uniquePrefix("esckill")
        let database = temporaryDatabase()
        let total = 50
        let outcome = try await DedicatedThread.run { () -> (escalations: [Int64: Set<String>], log: String) in
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            var service = try ServiceProcess(prefix: prefix, databasePath: database)
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { return ([:], service.output) }
            let next = try NextWriter(prefix: prefix, database: database)
            let watcher = try EventWatcher(url: brokerURL, exchange: Topology(prefix: prefix).events)
            defer { watcher.close() }
            try client.ok("operator.create", ["name": "Off", "max_load_limit": 1, "is_active": false])
            try client.ok("source.create", ["name": "Chat", "identifier": "chat", "max_wait_seconds": 2])
            try client.sendIntake((0..<total).map { n in (Array(#"{"user_identifier":"u\#(n)","source":"chat","message":"m"}"#.utf8), "e-\(n)") })
            var escalations: [Int64: Set<String>] = [:]
            var created: [Timestamp] = []
            let stored = try watcher.collect(for: .seconds(30)) { $0.filter { $0.routingKey == "request.waiting" }.count == total }
            for event in stored { if let request = event.request { created.append(request.createdAt) } }
            next.holdBack()
            service.kill9()
            // Nobody writes until every deadline has passed.
            let latest = Timestamp(milliseconds: (created.map(\.milliseconds).max() ?? 0) + 2_000)
            _ = try? eventually(within: .seconds(10), "the wall clock past the last deadline") { _ in Timestamp.now() > latest ? true : nil }
            service = try next.takeOver()
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { return ([:], service.output) }
            let after = try watcher.collect(for: .seconds(20)) { events in
                Set(events.filter { $0.routingKey == "request.escalated" }.compactMap(\.request?.id)).count == total
            }
            // Anything repeated would come with the outbox, at once; give it a moment all the same.
            let late = try watcher.collect(for: .seconds(1)) { _ in false }
            for event in (stored + after + late) where event.routingKey == "request.escalated" {
                escalations[event.request?.id ?? 0, default: []].insert(event.properties.messageId ?? "")
            }
            _ = service.terminate(timeout: .seconds(10))
            return (escalations, service.output)
        }
        #expect(outcome.escalations.count == total, "\(outcome.log)")
        #expect(outcome.escalations.values.allSatisfy { $0.count == 1 }, "an escalation with two event ids")
        try await deleteTopology(prefix)
    }

    @Test func aReturningUserGetsTheirOperatorWhileEligibleAndSomeoneElseOtherwise() async throws {
        let running = await RunningService(label: "sticky")
        try await withClient(running.prefix) { client, watcher in
            let watcher = try #require(watcher)
            for name in ["Ann", "Bob", "Cid"] { try client.ok("operator.create", ["name": .string(name), "max_load_limit": 2]) }
            try client.ok("source.create", ["name": "Chat", "identifier": "chat", "sticky_seconds": 3600])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10), (3, 10)])])
            try client.intake(user: "alice", source: "chat", priority: 0, messageId: "a1")
            let first = try #require(watcher.collect(until: "request.assigned", timeout: .seconds(10)).last)
            let own = try #require(first.request?.operatorId)
            #expect(first.event?.route == .weighted)
            try client.ok("request.close", ["id": 1])
            try client.intake(user: "alice", source: "chat", priority: 0, messageId: "a2")
            let again = try #require(watcher.collect(until: "request.assigned", timeout: .seconds(10)).last)
            #expect(again.request?.operatorId == own && again.event?.route == .sticky)

            try client.ok("operator.set_presence", ["id": .integer(own), "presence": "away"])
            try client.intake(user: "alice", source: "chat", priority: 0, messageId: "a3")
            let away = try #require(watcher.collect(until: "request.assigned", timeout: .seconds(10)).last)
            #expect(away.request?.operatorId != own && away.event?.route == .weighted)

            // Back and full: alice's latest request went to someone else, so stick with that one.
            let latest = try #require(away.request?.operatorId)
            try client.ok("operator.update", ["id": .integer(latest), "max_load_limit": 1])
            try client.intake(user: "alice", source: "chat", priority: 0, messageId: "a4")
            let full = try #require(watcher.collect(until: "request.assigned", timeout: .seconds(10)).last)
            #expect(full.request?.operatorId != latest && full.event?.route == .weighted)
        }
        try await running.finish()
    }

    /// Everyone off, three requests, a wait the test measures, one operator on: the service
    /// level says what the test saw.
    @Test func serviceLevelFiguresMatchTimesTheTestMeasured() async throws {
        let running = await RunningService(label: "slevel")
        try await withClient(running.prefix) { client, watcher in
            let watcher = try #require(watcher)
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 5, "is_active": false])
            try client.ok("source.create", ["name": "Chat", "identifier": "chat"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            for n in 0..<3 { try client.intake(user: "u\(n)", source: "chat", priority: 0, messageId: "s\(n)") }
            let waiting = try watcher.collect(for: .seconds(10)) { $0.count == 3 }
            let lastCreated = try #require(waiting.compactMap(\.request?.createdAt).max())
            // Wait until 1.5 s have passed since the last request was created, by the wall clock.
            _ = try? eventually(within: .seconds(5), every: .milliseconds(20), "1.5 s since the last request") { _ in
                Timestamp.now().milliseconds - lastCreated.milliseconds >= 1_500 ? true : nil
            }
            let waited = Double(Timestamp.now().milliseconds - lastCreated.milliseconds) / 1000
            try client.ok("operator.toggle_active", ["id": 1])
            _ = try watcher.collect(for: .seconds(10)) { $0.filter { $0.routingKey == "request.assigned" }.count == 3 }

            let level = try client.ok("stats.service_level", ["thresholds_seconds": [1, 60]])
            let overall = try #require(level["overall"])
            #expect(overall["requests"]?.int == 3 && overall["assigned"]?.int == 3)
            let times = try #require(overall["time_to_assign_seconds"])
            let fastest = try #require(times["p50"].flatMap(\.number))
            #expect(fastest >= waited - 0.001, "p50 \(fastest) s, but every request waited at least \(waited) s")
            #expect((times["max"].flatMap(\.number) ?? 0) >= fastest)
            let shares = overall["within"]?.array.compactMap { $0["share"].flatMap(\.number) }
            #expect(shares == [0, 1], "none within 1 s (shorter than the wait), all within 60 s")
            #expect(level["waiting"]?["count"]?.int == 0)

            let bad = try #require(try client.error("stats.service_level", ["source_id": 99]))
            #expect(bad.code == .validationError && bad.details.map(\.field) == ["source_id"])
            let inverted = try #require(try client.error("stats.service_level", [
                "since": "2026-11-25T00:00:00Z", "until": "2026-11-24T00:00:00Z",
            ]))
            #expect(inverted.code == .validationError && inverted.details.map(\.field) == ["since"])
        }
        try await running.finish()
    }
}
