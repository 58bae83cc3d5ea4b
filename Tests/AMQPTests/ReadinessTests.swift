import Testing
@testable import AMQP

@Suite struct ReadinessTests {
    @Test func waitingForInputWakesForADeliveryOrAConfirmAndOtherwiseTimesOut() async throws {
        let outcome = try await DedicatedThread.run { () -> (idle: Bool, woke: Set<Int>, delivered: [UInt8]?, confirmed: Bool) in
            let consumer = try Broker.connect("readiness consumer")
            let publisher = try Broker.connect("readiness publisher")
            defer { consumer.close(); publisher.close() }
            let queue = try consumer.declareQueue("", durable: false, exclusive: true, autoDelete: true).name
            try consumer.consume(queue: queue)
            try publisher.enableConfirms()
            let idle = AMQPConnection.waitForInput(on: [consumer, publisher], timeout: .milliseconds(50)).isEmpty

            try publisher.publish(exchange: "", routingKey: queue, body: [7])
            // Both the delivery and the confirm are on their way: wait for each as the writer does.
            var delivered: [UInt8]?
            var woke: Set<Int> = []
            let deadline = ContinuousClock.now + .seconds(10)
            while (delivered == nil || publisher.unconfirmedCount() > 0), ContinuousClock.now < deadline {
                woke.formUnion(AMQPConnection.waitForInput(on: [consumer, publisher], timeout: .seconds(1)))
                try publisher.pump()
                if delivered == nil { delivered = try consumer.nextDelivery(timeout: .zero)?.body }
            }
            return (idle, woke, delivered, publisher.unconfirmedCount() == 0)
        }
        #expect(outcome.idle, "nothing to read: the wait times out and names no connection")
        #expect(outcome.woke.isSubset(of: [0, 1]) && !outcome.woke.isEmpty, "the delivery or the confirm wakes the wait, naming its connection")
        #expect(outcome.delivered == [7])
        #expect(outcome.confirmed, "pumping the publisher reads the confirm")
    }
}
