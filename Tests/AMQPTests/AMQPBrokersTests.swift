import Testing
@testable import AMQP

@Suite struct AMQPBrokersTests {
    @Test func aCommaSeparatedListGivesEveryNodeWithPasswordsHidden() throws {
        let brokers = try AMQPBrokers(parsing: "amqp://u:s3cret@n1:5681, amqp://u:s3cret@n2:5682 ,amqps://u:s3cret@n3")
        #expect(brokers.urls.map(\.host) == ["n1", "n2", "n3"])
        #expect(brokers.urls.map(\.port) == [5681, 5682, 5671])
        #expect(brokers.urls[2].tls)
        #expect(!brokers.description.contains("s3cret"))
        #expect(brokers.unredacted.contains("s3cret"))
    }

    @Test func anEmptyEntryOrABadURLIsRefusedWithoutThePassword() {
        for text in ["amqp://a,,amqp://b", "amqp://a,", ",amqp://a", "amqp://u:s3cret@a,http://b"] {
            #expect(throws: AMQPError.self, "\(text)") { try AMQPBrokers(parsing: text) }
            do { _ = try AMQPBrokers(parsing: text) } catch { #expect(!error.description.contains("s3cret"), "\(error)") }
        }
    }

    @Test func eachProcessTriesEveryNodeOnceInATurnedOrder() throws {
        let brokers = try AMQPBrokers(parsing: "amqp://a,amqp://b,amqp://c")
        let order = brokers.connectionOrder.map(\.host)
        #expect(order.sorted() == ["a", "b", "c"])
        // A turn of the list, so that failing over still walks the nodes in their ring order.
        let doubled = brokers.urls.map(\.host) + brokers.urls.map(\.host)
        #expect((0..<3).contains { Array(doubled[$0..<$0 + 3]) == order })
        #expect(brokers.connectionOrder == brokers.connectionOrder, "the same order every time in one process")
    }

    @Test func aNodeThatRefusesIsSkippedForTheNextThatAnswers() async throws {
        let opened = try await DedicatedThread.run { () -> AMQPURL in
            var closed = Broker.url
            closed.port = 1  // nothing listens there
            var wrongPassword = Broker.url
            wrongPassword.password = "not-the-password"
            let connection = try AMQPConnection.open(trying: [closed, wrongPassword, Broker.url], options: .init())
            defer { connection.close() }
            try connection.openChannel()
            return connection.url
        }
        #expect(opened == Broker.url)
    }

    @Test func whenNoNodeAnswersTheLastNodesErrorSaysWhy() async throws {
        let error = try await DedicatedThread.run { () -> AMQPError? in
            var closed = Broker.url
            closed.port = 1
            do {
                _ = try AMQPConnection.open(to: AMQPBrokers([closed, closed]))
                return nil
            } catch let error as AMQPError {
                return error
            }
        }
        guard let error, case .socket = error else {
            Issue.record("expected a socket error, got \(String(describing: error))")
            return
        }
    }
}
