import BrokerTestSupport
import Testing
@testable import AMQP

@Suite struct ConnectionTests {
    @Test func wrongPasswordIsAClearLoginError() async throws {
        var wrong = Broker.url
        wrong.password = "definitely-wrong"
        let url = wrong
        let error = try await DedicatedThread.run { amqpError { _ = try AMQPConnection(url: url) } }
        guard case let .loginRefused(shown, detail) = error else {
            Issue.record("expected loginRefused, got \(String(describing: error))")
            return
        }
        #expect(!shown.contains("definitely-wrong"), "the password must not leak into errors")
        #expect(detail.contains("ACCESS_REFUSED"), "detail was: \(detail)")
    }

    @Test func nobodyListeningIsASocketError() async throws {
        let url = AMQPURL(host: "127.0.0.1", port: 1)
        let failure = try await socketFailure(connecting: url)
        #expect(failure?.operation.contains("127.0.0.1:1") == true)
    }

    @Test func publishingToAMissingExchangeSurfacesThe404AndTheConnectionLivesOn() async throws {
        try await DedicatedThread.run {
            let connection = try Broker.connect()
            try connection.enableConfirms()
            try connection.publish(exchange: Broker.uniqueName("missing"), routingKey: "x", body: [1])
            let error = amqpError { try connection.waitForConfirms(timeout: .seconds(10)) }
            guard case let .channelClosed(code, text, _) = error else {
                Issue.record("expected channelClosed, got \(String(describing: error))")
                return
            }
            #expect(code == 404)
            #expect(text.contains("NOT_FOUND"))
            #expect(!connection.isChannelOpen(1), "the broker closed channel 1")
            #expect(connection.isOpen, "a channel error leaves the connection open")
            try connection.openChannel(2)
            let queue = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true, channel: 2)
            #expect(queue.name.hasPrefix("amq.gen-"))
        }
    }

    @Test func declaringAMissingQueuePassivelyIsA404OnTheChannel() async throws {
        try await DedicatedThread.run {
            let connection = try Broker.connect()
            #expect {
                try connection.declareQueue(Broker.uniqueName("absent"), passive: true)
            } throws: { error in
                guard case let .channelClosed(code, _, operation) = error as? AMQPError else { return false }
                return code == 404 && operation.contains("declaring queue")
            }
        }
    }

    @Test func consumerOnAClosedConnectionReportsItInsteadOfHanging() async throws {
        try await DedicatedThread.run {
            let connection = try Broker.connect()
            let queue = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true)
            try connection.consume(queue: queue.name)
            connection.close()
            #expect(throws: AMQPError.closed) { try connection.nextDelivery(timeout: .seconds(5)) }
        }
    }

    @Test func consumerLearnsWhenTheBrokerClosesItsConnection() async throws {
        let name = Broker.uniqueName("killed")
        let error = try await DedicatedThread.run { () -> AMQPError? in
            let connection = try AMQPConnection(url: Broker.url, options: .init(connectionName: name))
            try connection.openChannel()
            let queue = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true)
            try connection.consume(queue: queue.name)
            try closeBrokerConnections(matching: name)
            let deadline = ContinuousClock.now + .seconds(20)
            return amqpError {
                while ContinuousClock.now < deadline { _ = try connection.nextDelivery(timeout: .milliseconds(500)) }
            }
        }
        guard case let .connectionClosed(code, text) = error else {
            Issue.record("expected connectionClosed, got \(String(describing: error))")
            return
        }
        #expect(code == 320)
        #expect(text.contains("closed by test"))
    }

    @Test func consumerLearnsWhenItsQueueIsDeleted() async throws {
        let error = try await DedicatedThread.run { () -> AMQPError? in
            let consumer = try Broker.connect()
            let admin = try Broker.connect()
            let queue = try consumer.declareQueue(Broker.uniqueName("deleted"), durable: false, autoDelete: false)
            let tag = try consumer.consume(queue: queue.name)
            try admin.deleteQueue(queue.name)
            let error = amqpError { _ = try consumer.nextDelivery(timeout: .seconds(10)) }
            #expect(error == .consumerCancelled(tag: tag), "the consumer must hear of the cancellation")
            return error
        }
        #expect(error != nil)
    }
}

