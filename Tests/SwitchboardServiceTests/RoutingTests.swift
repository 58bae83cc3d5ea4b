import AMQP
import Foundation
import SwitchboardClient
import SwitchboardCore
import SwitchboardService
import Testing

func weightsArg(_ pairs: [(Int64, Int64)]) -> JSONValue {
    .array(pairs.map { .object(["operator_id": .integer($0.0), "weight": .integer($0.1)]) })
}

@Suite struct RoutingTests {
    /// 3,000 requests over weights 50/30/20: each share within 4 points of its weight
    /// (the standard error of a share is under 0.92 points here, so 4 is over four of them).
    @Test func weightsAreRespectedOverThousandsOfRequests() async throws {
        let running = await RunningService(label: "weights", batchSize: 256)
        try await withClient(running.prefix, watching: nil) { client, _ in
            for name in ["A", "B", "C"] { try client.ok("operator.create", ["name": .string(name), "max_load_limit": 10_000]) }
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 50), (2, 30), (3, 20)])])
            let total = 3_000
            let messages = (0..<total).map { n in
                (body: Array(#"{"user_identifier":"u\#(n % 300)","source":"telegram","message":"m\#(n)"}"#.utf8), messageId: Optional("w-\(n)"))
            }
            for chunk in stride(from: 0, to: total, by: 500) { try client.sendIntake(Array(messages[chunk..<min(chunk + 500, total)])) }
            let stored = try client.waitForRequests(total, timeout: .seconds(60))
            #expect(stored.count == total)
            let distribution = try client.ok("stats.requests_distribution")
            let counts = distribution["by_operator"]?.array.compactMap { $0["request_count"]?.int } ?? []
            #expect(counts.count == 3)
            for (count, weight) in zip(counts, [50.0, 30.0, 20.0]) {
                #expect(abs(Double(count) / Double(total) * 100 - weight) < 4, "shares \(counts)")
            }
            let users = Set(stored.compactMap { $0["user_id"]?.int })
            #expect(users.count == 300, "each user identifier maps to one user")
        }
        try await running.finish()
    }

    @Test func limitsAreNeverExceededAndInactiveOrUnweightedGetNothing() async throws {
        let running = await RunningService(label: "limits")
        try await withClient(running.prefix) { client, watcher in
            try client.ok("operator.create", ["name": "Busy", "max_load_limit": 3])
            try client.ok("operator.create", ["name": "Asleep", "max_load_limit": 100, "is_active": false])
            try client.ok("operator.create", ["name": "Elsewhere", "max_load_limit": 100])  // no weight for telegram
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 90)])])
            for n in 0..<10 { try client.intake(user: "u\(n)", source: "telegram", messageId: "l-\(n)") }
            let events = try #require(watcher).collect(10, timeout: .seconds(15))
            #expect(events.filter { $0.routingKey == "request.assigned" }.count == 3)
            #expect(events.filter { $0.routingKey == "request.waiting" }.count == 7)
            #expect(events.allSatisfy { $0.request?.operatorId == nil || $0.request?.operatorId == 1 })
            let load = try client.ok("stats.operators_load")["operators"]?.array ?? []
            #expect(load.compactMap { $0["current_load"]?.int } == [3, 0, 0])
            #expect(load.first?["load_percentage"] == .number(100) || load.first?["load_percentage"] == .integer(100))
            #expect(try client.ok("service.status")["waiting_count"]?.int == 7)
            #expect(try client.ok("stats.requests_distribution")["unassigned_count"]?.int == 7)
        }
        try await running.finish()
    }

    @Test func closingAndRaisingLimitsDrainTheLineOldestFirst() async throws {
        let running = await RunningService(label: "drain")
        try await withClient(running.prefix) { client, watcher in
            let watcher = try #require(watcher)
            try client.ok("operator.create", ["name": "A", "max_load_limit": 1])
            try client.ok("operator.create", ["name": "B", "max_load_limit": 1, "is_active": false])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10)])])
            for n in 1...4 { try client.intake(user: "u\(n)", source: "telegram", messageId: "d-\(n)") }
            #expect(try watcher.collect(4, timeout: .seconds(10)).map(\.routingKey)
                == ["request.assigned", "request.waiting", "request.waiting", "request.waiting"])
            // Closing request 1 hands A's slot to request 2, the oldest waiting.
            try client.ok("request.close", ["id": 1])
            let afterClose = try watcher.collect(2, timeout: .seconds(10))
            #expect(afterClose.map(\.routingKey) == ["request.closed", "request.assigned"])
            #expect(afterClose.last?.request?.id == 2)
            #expect(afterClose.last?.properties.correlationId == "d-2", "a drained assignment names its intake message")
            // Raising A's limit drains request 3.
            try client.ok("operator.update", ["id": 1, "max_load_limit": 2])
            #expect(try watcher.next(timeout: .seconds(10))?.request?.id == 3)
            // Manual assignment to an inactive operator is a conflict and changes nothing.
            let conflict = try #require(try client.error("request.assign", ["id": 4, "operator_id": 2]))
            #expect(conflict.code == .conflict)
            #expect(conflict.details.map(\.field) == ["operator_id"])
            #expect(try client.ok("request.get", ["id": 4])["status"]?.string == "waiting")
            // Activating B drains request 4 to B.
            try client.ok("operator.toggle_active", ["id": 2])
            let drained = try #require(try watcher.next(timeout: .seconds(10)))
            #expect(drained.request?.id == 4)
            #expect(drained.request?.operatorId == 2)
            // And a manual reassignment by hand.
            try client.ok("operator.update", ["id": 2, "max_load_limit": 3])
            let moved = try client.ok("request.assign", ["id": 2, "operator_id": 2])
            #expect(moved["operator_id"]?.int == 2)
            #expect(try watcher.next(timeout: .seconds(10))?.routingKey == "request.assigned")
        }
        try await running.finish()
    }

    @Test func classicQueuesWorkToo() async throws {
        let running = await RunningService(label: "classic", queueType: .classic)
        try await withClient(running.prefix) { client, watcher in
            try client.ok("operator.create", ["name": "A", "max_load_limit": 5])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.intake(user: "u", source: "telegram", messageId: "classic-1")
            let event = try #require(try watcher?.next(timeout: .seconds(10)))
            #expect(event.routingKey == "request.assigned")
            #expect(event.properties.correlationId == "classic-1")
        }
        let (asClassic, asQuorum) = try await DedicatedThread.run { () -> (Bool, Bool) in
            let connection = try AMQPConnection(url: brokerURL)
            try connection.openChannel()
            // Declaring is idempotent only with identical arguments, the queue type included.
            let topology = Topology(prefix: running.prefix)
            let asClassic = (try? topology.declare(on: connection, queueType: .classic)) != nil
            let asQuorum = (try? topology.declare(on: connection, queueType: .quorum)) != nil
            return (asClassic, asQuorum)
        }
        #expect(asClassic, "the queues were declared classic")
        #expect(!asQuorum)
        try await running.finish()
    }

    @Test func theSameMessageIdThreeTimesMakesOneRequest() async throws {
        let running = await RunningService(label: "dedupe")
        try await withClient(running.prefix) { client, watcher in
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            for _ in 0..<3 { try client.intake(user: "u", source: "telegram", message: "once", messageId: "same-id") }
            try client.intake(user: "u", source: "telegram", message: "other", messageId: "other-id")
            let events = try #require(watcher).collect(4, timeout: .seconds(5))
            #expect(events.count == 2, "one event per distinct message id")
            let stored = try client.waitForRequests(2)
            #expect(stored.count == 2)
            #expect(try client.ok("service.status")["counters"]?["duplicates"]?.int == 2)
        }
        try await running.finish()
    }
}
