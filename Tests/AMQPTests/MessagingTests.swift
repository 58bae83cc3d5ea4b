import Testing
@testable import AMQP

@Suite struct MessagingTests {
    @Test func roundTripKeepsBodyBytesAndEveryProperty() async throws {
        let body: [UInt8] = Array("Здравствуйте!".utf8) + [0, 255, 1, 128]
        let sent = AMQPProperties(
            contentType: "application/json", contentEncoding: "utf-8",
            headers: ["x-text": "значение", "x-int": 42, "x-flag": true, "x-nested": .table(["k": "v"])],
            persistent: true, priority: 3, correlationId: "corr-1", replyTo: "console.replies",
            expiration: "60000", messageId: "msg-1", timestamp: 1_764_000_000, type: "request.new",
            appId: "tests")
        let received = try await DedicatedThread.run { () -> AMQPDelivery? in
            let connection = try Broker.connect()
            let exchange = Broker.uniqueName("x")
            try connection.declareExchange(exchange, type: .topic, durable: false, autoDelete: true)
            let queue = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true)
            try connection.bindQueue(queue.name, exchange: exchange, routingKey: "request.*")
            try connection.enableConfirms()
            try connection.publish(exchange: exchange, routingKey: "request.new", body: body, properties: sent)
            try connection.waitForConfirms()
            defer { _ = try? connection.deleteExchange(exchange) }
            // The queue is exclusive to this connection; consume on a second channel of it.
            try connection.openChannel(2)
            try connection.consume(queue: queue.name, channel: 2)
            return try connection.nextDelivery(timeout: .seconds(10))
        }
        let delivery = try #require(received)
        #expect(delivery.body == body)
        #expect(delivery.properties == sent)
        #expect(delivery.routingKey == "request.new")
        #expect(!delivery.redelivered)
    }

    @Test func waitingForConfirmsWithoutConfirmModeIsAUsageErrorThatLeavesTheConnectionUsable() async throws {
        let (error, stillUsable) = try await DedicatedThread.run { () -> (AMQPError?, Bool) in
            let connection = try Broker.connect()
            defer { connection.close() }
            var caught: AMQPError?
            do { try connection.waitForConfirms() } catch let error as AMQPError { caught = error }
            // The same connection still declares and publishes: nothing was wrong with it.
            let queue = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true)
            try connection.publish(exchange: "", routingKey: queue.name, body: [1], properties: AMQPProperties())
            try connection.consume(queue: queue.name)
            return (caught, try connection.nextDelivery(timeout: .seconds(10))?.body == [1])
        }
        guard case let .usage(what) = error else {
            Issue.record("expected a usage error, got \(String(describing: error))")
            return
        }
        #expect(what.contains("not in confirm mode"))
        #expect(error?.isConnectionFatal == false, "a usage error must not make the caller reconnect")
        #expect(stillUsable)
    }

    @Test func tenThousandMessagesWithPrefetchAndMultipleAckArriveOnceEach() async throws {
        let count = 10_000
        let seen = try await DedicatedThread.run { () -> [Int] in
            let producer = try Broker.connect("producer")
            let consumer = try Broker.connect("consumer")
            let queue = try producer.declareQueue(Broker.uniqueName("bulk"), durable: true, autoDelete: false)
            defer { _ = try? producer.deleteQueue(queue.name) }
            try producer.enableConfirms()
            for index in 0..<count {
                try producer.publish(exchange: "", routingKey: queue.name, body: Array(String(index).utf8),
                                     properties: AMQPProperties(persistent: true))
                if index % 500 == 499 { try producer.waitForConfirms() }
            }
            try producer.waitForConfirms()
            try consumer.setPrefetch(200)
            try consumer.consume(queue: queue.name)
            var seen: [Int] = []
            var sinceAck = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while seen.count < count, ContinuousClock.now < deadline {
                guard let delivery = try consumer.nextDelivery(timeout: .seconds(5)) else { break }
                seen.append(Int(String(decoding: delivery.body, as: UTF8.self)) ?? -1)
                sinceAck += 1
                if sinceAck == 100 {
                    try consumer.ack(delivery.deliveryTag, multiple: true)
                    sinceAck = 0
                }
            }
            // Nothing more may arrive: every message was acked exactly once.
            if let extra = try consumer.nextDelivery(timeout: .milliseconds(300)) {
                seen.append(Int(String(decoding: extra.body, as: UTF8.self)) ?? -1)
            }
            return seen
        }
        #expect(seen.count == count)
        #expect(Set(seen) == Set(0..<count))
    }

    /// basic.get takes a quorum queue's messages in order, each with its properties, then says
    /// the queue is empty; a queue that does not exist is an error, never "empty".
    @Test func getTakesMessagesInOrderThenFindsTheQueueEmpty() async throws {
        let (got, missing) = try await DedicatedThread.run { () -> ([AMQPDelivery?], AMQPError?) in
            let connection = try Broker.connect()
            defer { connection.close() }
            let queue = Broker.uniqueName("get")
            try connection.declareQueue(queue, arguments: ["x-queue-type": "quorum"])
            defer { _ = try? connection.deleteQueue(queue) }
            try connection.enableConfirms()
            for n in 1...2 {
                try connection.publish(exchange: "", routingKey: queue, body: Array("m\(n)".utf8),
                                       properties: AMQPProperties(messageId: "g-\(n)"))
            }
            try connection.waitForConfirms()
            var got: [AMQPDelivery?] = []
            for _ in 1...3 {
                let delivery = try connection.get(queue: queue)
                if let delivery { try connection.ack(delivery.deliveryTag) }
                got.append(delivery)
            }
            let missing = amqpError { _ = try connection.get(queue: Broker.uniqueName("no-such-queue")) }
            return (got, missing)
        }
        #expect(got.map { $0.map { String(decoding: $0.body, as: UTF8.self) } } == ["m1", "m2", nil])
        #expect(got.map { $0?.properties.messageId } == ["g-1", "g-2", nil])
        guard case let .channelClosed(code, _, _)? = missing else {
            Issue.record("getting from a missing queue: \(String(describing: missing))")
            return
        }
        #expect(code == 404)
    }

    @Test func rejectWithoutRequeueLandsInTheDeadLetterQueue() async throws {
        let deadLettered = try await DedicatedThread.run { () -> AMQPDelivery? in
            let connection = try Broker.connect()
            let dlx = Broker.uniqueName("dlx")
            let work = Broker.uniqueName("work")
            try connection.declareExchange(dlx, type: .fanout, durable: false, autoDelete: true)
            let dead = try connection.declareQueue(Broker.uniqueName("dead"), durable: false, autoDelete: true)
            try connection.bindQueue(dead.name, exchange: dlx)
            try connection.declareQueue(work, durable: true, arguments: ["x-dead-letter-exchange": .string(dlx)])
            defer {
                _ = try? connection.deleteQueue(work)
                _ = try? connection.deleteExchange(dlx)
            }
            try connection.enableConfirms()
            try connection.publish(exchange: "", routingKey: work, body: Array("poison".utf8),
                                   properties: AMQPProperties(messageId: "p-1"))
            try connection.waitForConfirms()
            let consumer = try Broker.connect()
            try consumer.consume(queue: work)
            let delivery = try #require(try consumer.nextDelivery(timeout: .seconds(10)))
            try consumer.reject(delivery.deliveryTag, requeue: false)
            let deadConsumer = try Broker.connect()
            try deadConsumer.consume(queue: dead.name)
            return try deadConsumer.nextDelivery(timeout: .seconds(10))
        }
        let message = try #require(deadLettered)
        #expect(message.body == Array("poison".utf8))
        #expect(message.properties.messageId == "p-1")
        guard case let .array(deaths)? = message.properties.headers?["x-death"],
              case let .table(death)? = deaths.first
        else {
            Issue.record("x-death header missing: \(String(describing: message.properties.headers))")
            return
        }
        #expect(death["reason"]?.stringValue == "rejected")
    }

    @Test func mandatoryPublishWithNoQueueIsReturned() async throws {
        try await DedicatedThread.run {
            let connection = try Broker.connect()
            try connection.enableConfirms()
            try connection.publish(exchange: "", routingKey: Broker.uniqueName("nobody"), body: [1], mandatory: true)
            #expect {
                try connection.waitForConfirms(timeout: .seconds(10))
            } throws: { error in
                guard case let .returned(code, text, _, _) = error as? AMQPError else { return false }
                return code == 312 && text == "NO_ROUTE"
            }
            // The channel stays usable after a return.
            try connection.publish(exchange: "", routingKey: Broker.uniqueName("nobody"), body: [2])
            try connection.waitForConfirms(timeout: .seconds(10))
        }
    }

    @Test func nackWithRequeueRedeliversWithTheFlagSet() async throws {
        let redelivery = try await DedicatedThread.run { () -> AMQPDelivery? in
            let connection = try Broker.connect()
            let queue = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true)
            try connection.publish(exchange: "", routingKey: queue.name, body: [7])
            try connection.consume(queue: queue.name)
            let first = try #require(try connection.nextDelivery(timeout: .seconds(10)))
            try connection.nack(first.deliveryTag, requeue: true)
            return try connection.nextDelivery(timeout: .seconds(10))
        }
        #expect(redelivery?.redelivered == true)
        #expect(redelivery?.body == [7])
    }
}
