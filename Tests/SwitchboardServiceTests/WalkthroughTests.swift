import AMQP
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// The original system's usage guide, step by step, over the control queue.
@Suite struct WalkthroughTests {
    @Test func theGuideFromOperatorsToStatistics() async throws {
        let running = await RunningService(label: "guide")
        try await withClient(running.prefix) { client, watcher in
            // Step 1: operators.
            let ivan = try client.ok("operator.create", ["name": "Иван Петров", "max_load_limit": 10])
            #expect(ivan["name"]?.string == "Иван Петров")
            #expect(ivan["is_active"] == .bool(true))
            #expect(ivan["current_load"]?.int == 0)
            #expect(ivan["created_at"]?.string?.hasSuffix("Z") == true)
            try client.ok("operator.create", ["name": "Мария Сидорова", "max_load_limit": 15])
            try client.ok("operator.create", ["name": "Алексей Иванов", "max_load_limit": 8])
            // Step 2: sources.
            for (name, identifier) in [("Telegram Bot", "telegram"), ("Email Support", "email"), ("Phone Support", "phone")] {
                let source = try client.ok("source.create", ["name": .string(name), "identifier": .string(identifier)])
                #expect(source["weights"] == .array([]))
            }
            // Step 3: weights.
            func weights(_ pairs: [(Int64, Int64)]) -> JSONValue {
                .array(pairs.map { .object(["operator_id": .integer($0.0), "weight": .integer($0.1)]) })
            }
            let telegram = try client.ok("source.set_weights", ["source_id": 1, "weights": weights([(1, 50), (2, 30), (3, 20)])])
            #expect(telegram["weights"]?.array.count == 3)
            try client.ok("source.set_weights", ["source_id": 2, "weights": weights([(1, 40), (2, 60)])])
            try client.ok("source.set_weights", ["source_id": 3, "weights": weights([(2, 70), (3, 30)])])
            // Step 4: requests from each source, by id and by identifier.
            try client.intake(user: "user123@telegram", source: .integer(1), message: "Здравствуйте! У меня вопрос по заказу #12345", messageId: "m-1")
            try client.intake(user: "client@example.com", source: .string("email"), message: "Проблема с доставкой", messageId: "m-2")
            try client.intake(user: "+79991234567", source: .integer(3), message: "Позвоните мне", messageId: "m-3")
            let events = try #require(watcher).collect(3, timeout: .seconds(15))
            #expect(events.count == 3)
            #expect(Set(events.compactMap { $0.properties.correlationId }) == ["m-1", "m-2", "m-3"])
            for received in events {
                #expect(received.routingKey == "request.assigned")
                #expect(received.properties.messageId == received.event?.eventId)
                #expect(received.properties.type == "request.assigned")
                #expect(received.properties.persistent)
                #expect(received.properties.contentType == "application/json")
                #expect(received.event?.request.operatorName != nil)
            }
            let phone = try #require(events.first { $0.properties.correlationId == "m-3" })
            #expect([2, 3].contains(phone.request?.operatorId), "phone goes only to Мария or Алексей")
            // Request detail.
            let detail = try client.ok("request.get", ["id": .integer(phone.request?.id ?? 0)])
            #expect(detail["user"]?["identifier"]?.string == "+79991234567")
            #expect(detail["source"]?["identifier"]?.string == "phone")
            #expect(detail["source"]?["name"]?.string == "Phone Support")
            #expect(detail["operator"]?["id"]?.int == phone.request?.operatorId)
            #expect(detail["status"]?.string == "assigned")
            #expect(detail["closed_at"] == .null)
            // Statistics.
            let load = try client.ok("stats.operators_load")
            let rows = load["operators"]?.array ?? []
            #expect(rows.count == 3)
            #expect(rows.compactMap { $0["current_load"]?.int }.reduce(0, +) == 3)
            #expect(rows.first?["load_percentage"] != nil)
            let distribution = try client.ok("stats.requests_distribution")
            #expect(distribution["by_source"]?.array.compactMap { $0["request_count"]?.int } == [1, 1, 1])
            #expect(distribution["by_operator"]?.array.compactMap { $0["request_count"]?.int }.reduce(0, +) == 3)
            #expect(distribution["unassigned_count"]?.int == 0)
            // Managing operators: list, get, update, toggle.
            #expect(try client.ok("operator.list").array.count == 3)
            #expect(try client.ok("operator.get", ["id": 2])["name"]?.string == "Мария Сидорова")
            #expect(try client.ok("operator.update", ["id": 3, "max_load_limit": 12])["max_load_limit"]?.int == 12)
            #expect(try client.ok("operator.toggle_active", ["id": 3])["is_active"] == .bool(false))
            #expect(try client.ok("source.list").array.count == 3)
            #expect(try client.ok("source.get", ["id": 1])["identifier"]?.string == "telegram")
            // Close one request, and the closed event follows.
            let closed = try client.ok("request.close", ["id": .integer(phone.request?.id ?? 0)])
            #expect(closed["status"]?.string == "closed")
            let closedEvent = try #require(try watcher?.next(timeout: .seconds(10)))
            #expect(closedEvent.routingKey == "request.closed")
            let status = try client.ok("service.status")
            #expect(status["status"]?.string == "ok")
            #expect(status["waiting_count"]?.int == 0)
            #expect(status["uptime_seconds"] != nil)
            #expect(status["version"]?.string != nil)
        }
        try await running.finish()
    }
}
