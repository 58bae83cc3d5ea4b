import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import SwitchboardService
import Testing

extension EventWatcher {
    /// Events until one with routing key `name` arrives (included), or the deadline passes.
    func collect(until name: String, timeout: Duration) throws -> [ReceivedEvent] {
        try collect(for: timeout) { $0.last?.routingKey == name }
    }

    /// Events for `timeout` at most, stopping early once `done` says so.
    func collect(for timeout: Duration, until done: ([ReceivedEvent]) -> Bool) throws -> [ReceivedEvent] {
        let deadline = ContinuousClock.now + timeout
        var events: [ReceivedEvent] = []
        while ContinuousClock.now < deadline, !done(events) {
            guard let event = try next(timeout: deadline - ContinuousClock.now) else { break }
            events.append(event)
        }
        return events
    }
}

/// Offers and presence against the real broker, with 1-second offers where a test waits for
/// them to expire.
@Suite struct OfferServiceTests {
    /// Two operators on a chat source whose offers last `offerSeconds`.
    static func setUp(_ client: ControlClient, offerSeconds: Int = 1) throws {
        for name in ["Ann", "Bob"] { try client.ok("operator.create", ["name": .string(name), "max_load_limit": 5]) }
        try client.ok("source.create", ["name": "Chat", "identifier": "chat", "offer_timeout_seconds": .integer(Int64(offerSeconds))])
        try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10)])])
    }

    @Test func anOfferIsAcceptedAndARejectedOneGoesToTheNextOperator() async throws {
        let running = await RunningService(label: "offers")
        try await withClient(running.prefix) { client, watcher in
            let watcher = try #require(watcher)
            // Nothing here waits for an expiry, and the answer to the offer moved on from a
            // rejection comes four calls later: on a loaded CI machine that took over a second.
            try Self.setUp(client, offerSeconds: 60)
            try client.intake(user: "u1", source: "chat")
            let offered = try #require(watcher.collect(until: "request.offered", timeout: .seconds(10)).last)
            let first = try #require(offered.request?.operatorId)
            #expect(offered.event?.route == .weighted && offered.request?.offerExpiresAt != nil)
            try client.ok("request.accept", ["id": 1, "operator_id": .integer(first)])
            #expect(try watcher.collect(until: "request.assigned", timeout: .seconds(10)).last?.request?.status == .assigned)

            try client.intake(user: "u2", source: "chat")
            let second = try #require(watcher.collect(until: "request.offered", timeout: .seconds(10)).last?.request)
            let rejecter = try #require(second.operatorId)
            let afterReject = try client.ok("request.reject", ["id": .integer(second.id), "operator_id": .integer(rejecter), "reason": "busy"])
            let next = try #require(afterReject["operator_id"]?.int)
            #expect(next != rejecter && afterReject["status"]?.string == "offered")
            let moved = try watcher.collect(until: "request.offered", timeout: .seconds(10))
            #expect(moved.map(\.routingKey) == ["request.offer_declined", "request.offered"])
            #expect(moved.first?.event?.decline == Decline(operatorId: rejecter, reason: .rejected, rejectionReason: "busy"))
            let error = try #require(try client.error("request.accept", ["id": .integer(second.id), "operator_id": .integer(rejecter)]))
            #expect(error.code == .conflict && error.message.contains("rejected it"))
            try client.ok("request.accept", ["id": .integer(second.id), "operator_id": .integer(next)])
            let load = try client.ok("stats.operators_load")["operators"]?.array ?? []
            #expect(load.compactMap { $0["current_load"]?.int }.reduce(0, +) == 2)
            #expect(load.allSatisfy { $0["offered"]?.int == 0 && $0["presence"]?.string == "available" })
        }
        try await running.finish()
    }

    /// Nobody answers: the offer expires within 250 ms of its deadline (under the whole suite
    /// on two cores, a second: ``TestDatabase/deadlineSlackMilliseconds``), moves to the other
    /// operator, expires again, and the request waits.
    @Test func unansweredOffersExpireOnTimeMoveOnAndThenWait() async throws {
        let running = await RunningService(label: "expire")
        try await withClient(running.prefix) { client, watcher in
            let watcher = try #require(watcher)
            try Self.setUp(client)
            try client.intake(user: "u1", source: "chat")
            let events = try watcher.collect(until: "request.waiting", timeout: .seconds(15))
            #expect(events.map(\.routingKey) == [
                "request.offered", "request.offer_declined", "request.offered", "request.offer_declined", "request.waiting",
            ])
            let declines = events.compactMap { $0.event?.decline }
            #expect(declines.map(\.reason) == [.expired, .expired])
            #expect(Set(declines.map(\.operatorId)) == [1, 2], "each operator was offered it once in the round")
            for (offer, decline) in [(events[0], events[1]), (events[2], events[3])] {
                let due = try #require(offer.request?.offerExpiresAt)
                let fired = try #require(decline.event?.occurredAt)
                #expect(fired >= due && fired.milliseconds - due.milliseconds < TestDatabase.deadlineSlackMilliseconds,
                        "expired \(fired.milliseconds - due.milliseconds) ms late")
            }
            #expect(try client.ok("service.status")["waiting_count"]?.int == 1)
        }
        try await running.finish()
    }

    @Test func threeMissedOffersSetTheOperatorAwayAndAwayWithdrawsOffers() async throws {
        let running = await RunningService(label: "away")
        try await withClient(running.prefix) { client, watcher in
            let watcher = try #require(watcher)
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 5])
            try client.ok("source.create", ["name": "Chat", "identifier": "chat", "offer_timeout_seconds": 1])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            for n in 1...3 {
                try client.intake(user: "u\(n)", source: "chat")
                _ = try watcher.collect(until: "request.waiting", timeout: .seconds(10))
                try client.ok("request.close", ["id": .integer(Int64(n))])
            }
            let presence = try watcher.collect(until: "operator.presence_changed", timeout: .seconds(10)).last?.presenceChange
            #expect(presence?.reason == .missedOffers && presence?.operator.presence == .away)
            #expect(try client.ok("operator.get", ["id": 1])["presence"]?.string == "away")

            // Back, with a second operator: going away withdraws the offer, which moves on at once.
            try client.ok("operator.create", ["name": "Bob", "max_load_limit": 5])
            try client.ok("source.update", ["id": 1, "offer_timeout_seconds": 60])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.ok("operator.set_presence", ["id": 1, "presence": "available"])
            try client.intake(user: "u4", source: "chat")
            let offered = try #require(watcher.collect(until: "request.offered", timeout: .seconds(10)).last?.request)
            #expect(offered.operatorId == 1)
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10)])])
            try client.ok("operator.set_presence", ["id": 1, "presence": "away"])
            let moved = try watcher.collect(until: "request.offered", timeout: .seconds(10))
            #expect(moved.map(\.routingKey).suffix(3) == ["operator.presence_changed", "request.offer_declined", "request.offered"])
            #expect(moved.last?.request?.operatorId == 2 && moved.dropLast().last?.event?.decline?.reason == .withdrawn)
        }
        try await running.finish()
    }

    /// kill -9 with 200 offers outstanding, their deadlines passing while nobody writes:
    /// after the restart (on PostgreSQL, a standby's takeover) each expired offer gives
    /// exactly one `request.offer_declined` (by event id) and one re-route, and every load
    /// equals its assigned plus offered requests.
    @Test func killNineWithOffersOutstandingExpiresEachExactlyOnce() async throws {
        let prefix = uniquePrefix("offerkill")
        let database = temporaryDatabase()
        let total = 200
        let outcome = try await DedicatedThread.run { () -> (declines: [String: Set<String>], rerouted: Set<Int64>, loads: [Int64: Int64], held: [Int64: Int64], log: String) in
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            let environment = ["SWITCHBOARD_AWAY_AFTER_MISSED": "0"]
            var service = try ServiceProcess(prefix: prefix, databasePath: database, environment: environment)
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { return ([:], [], [:], [:], service.output) }
            let next = try NextWriter(prefix: prefix, database: database, environment: environment)
            let watcher = try EventWatcher(url: brokerURL, exchange: Topology(prefix: prefix).events)
            defer { watcher.close() }
            for name in ["Ann", "Bob"] { try client.ok("operator.create", ["name": .string(name), "max_load_limit": 1_000]) }
            try client.ok("source.create", ["name": "Chat", "identifier": "chat", "offer_timeout_seconds": 3])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10)])])
            try client.sendIntake((0..<total).map { n in
                (Array(#"{"user_identifier":"u\#(n)","source":"chat","message":"m"}"#.utf8), "o-\(n)")
            })
            var firstOffer: [Int64: (operatorId: Int64, due: Timestamp)] = [:]
            let offeredBy = ContinuousClock.now + .seconds(30)
            while firstOffer.count < total, ContinuousClock.now < offeredBy {
                guard let event = try watcher.next(timeout: .milliseconds(500)), let request = event.request,
                      event.routingKey == "request.offered", let due = request.offerExpiresAt else { continue }
                firstOffer[request.id] = (request.operatorId ?? 0, due)
            }
            next.holdBack()
            service.kill9()
            // Nobody writes until every deadline has passed.
            let latest = firstOffer.values.map(\.due).max() ?? Timestamp.now()
            _ = try? eventually(within: .seconds(10), "the wall clock past the last deadline") { _ in Timestamp.now() > latest ? true : nil }
            service = try next.takeOver()
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { return ([:], [], [:], [:], service.output) }
            // Stop the second round from expiring too: make the source's next offers long.
            try client.ok("source.update", ["id": 1, "offer_timeout_seconds": 3_600])

            var declines: [String: Set<String>] = [:]  // "request/operator" → event ids
            var rerouted: Set<Int64> = []
            let settled = ContinuousClock.now + .seconds(30)
            while rerouted.count < total || declines.count < total, ContinuousClock.now < settled {
                guard let event = try watcher.next(timeout: .milliseconds(500)), let request = event.request else { continue }
                if let decline = event.event?.decline, firstOffer[request.id]?.operatorId == decline.operatorId {
                    declines["\(request.id)/\(decline.operatorId)", default: []].insert(event.properties.messageId ?? "")
                } else if event.routingKey == "request.offered" || event.routingKey == "request.waiting",
                          let first = firstOffer[request.id], request.operatorId != first.operatorId {
                    rerouted.insert(request.id)
                }
            }
            // The loads and the requests are read by separate commands, and the second round's
            // offers (made before the update, 3 s long) may expire between them on a loaded
            // machine: read both again until they agree, which they never would if a load drifted.
            var loads: [Int64: Int64] = [:]
            var held: [Int64: Int64] = [1: 0, 2: 0]
            let agreeBy = ContinuousClock.now + .seconds(15)
            repeat {
                loads = [:]
                for row in try client.ok("stats.operators_load")["operators"]?.array ?? [] {
                    loads[row["operator_id"]?.int ?? 0] = row["current_load"]?.int ?? -1
                }
                held = [1: 0, 2: 0]
                for status in ["assigned", "offered"] {
                    for request in try client.allRequests(status: status) { held[request["operator_id"]?.int ?? 0, default: 0] += 1 }
                }
            } while loads != held && ContinuousClock.now < agreeBy
            _ = service.terminate(timeout: .seconds(10))
            return (declines, rerouted, loads, held, service.output)
        }
        #expect(outcome.declines.count == total, "expired offers declined: \(outcome.declines.count); log:\n\(outcome.log.suffix(1500))")
        #expect(outcome.declines.values.allSatisfy { $0.count == 1 }, "an expiry published under two event ids")
        #expect(outcome.rerouted.count == total)
        #expect(outcome.loads == outcome.held, "loads \(outcome.loads), held \(outcome.held)")
        try await deleteTopology(prefix)
    }
}
