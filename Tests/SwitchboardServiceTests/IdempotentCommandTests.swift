import AMQP
import Foundation
import SwitchboardCore
import Testing

@Suite struct IdempotentCommandTests {
    /// A client that retries a command with the same message id (or a broker redelivering it
    /// after a crash) changes nothing twice, and gets the first answer again.
    @Test func aCommandSentTwiceWithOneMessageIdCreatesOneOperator() async throws {
        let running = await RunningService(label: "idempotent")
        let prefix = running.prefix
        let replies = try await DedicatedThread.run {
            let connection = try AMQPConnection(url: brokerURL)
            defer { connection.close() }
            try connection.openChannel()
            let inbox = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true).name
            try connection.consume(queue: inbox, noAck: true)
            let body = Array(#"{"command":"operator.create","args":{"name":"Ada","max_load_limit":3}}"#.utf8)
            for attempt in ["first", "retry"] {
                try connection.publish(
                    exchange: "", routingKey: Topology(prefix: prefix).control, body: body,
                    properties: AMQPProperties(contentType: "application/json", correlationId: attempt, replyTo: inbox,
                                               messageId: "create-ada-once"))
            }
            var replies: [String: JSONValue] = [:]
            let deadline = ContinuousClock.now + .seconds(10)
            while replies.count < 2, ContinuousClock.now < deadline,
                  let delivery = try connection.nextDelivery(timeout: deadline - ContinuousClock.now)
            {
                replies[delivery.properties.correlationId ?? "?"] = try JSONDecoder().decode(JSONValue.self, from: Data(delivery.body))
            }
            return replies
        }
        #expect(replies["first"]?["ok"] == .bool(true))
        #expect(replies["first"]?["result"]?["id"]?.int == 1)
        #expect(replies["retry"] == replies["first"], "the retry is answered as the first time")
        let operators = try await withClient(prefix, watching: nil) { client, _ in try client.ok("operator.list") }
        #expect(operators.array.count == 1)
        let status = try await withClient(prefix, watching: nil) { client, _ in try client.ok("service.status") }
        #expect(status["counters"]?["duplicates"]?.int == 1)
        try await running.finish()
    }
}
