import BrokerTestSupport
import Foundation
import Testing
@testable import AMQP

extension LocalTLS {
    static func url(host: String = "localhost", port: Int = 5671, query: String) throws -> AMQPURL {
        try AMQPURL(parsing: urlText(host: host, port: port, query: query))
    }
}

/// amqps:// against the local broker's TLS listener (skipped where scripts/broker did not make it).
@Suite(.enabled(if: LocalTLS.isSetUp, "scripts/broker makes the local TLS listener and its CA"))
struct TLSTests {
    @Test func aBrokerVouchedForByTheTrustedCACarriesMessages() async throws {
        let url = try LocalTLS.url(query: "cacertfile=\(LocalTLS.ca)")
        let received = try await DedicatedThread.run {
            let connection = try AMQPConnection(url: url, options: .init(connectionName: "tls test"))
            defer { connection.close() }
            try connection.openChannel()
            try connection.enableConfirms()
            let queue = try connection.declareQueue("", durable: false, exclusive: true, autoDelete: true).name
            try connection.publish(exchange: "", routingKey: queue, body: Array("over TLS".utf8))
            try connection.waitForConfirms(timeout: .seconds(10))
            try connection.consume(queue: queue, noAck: true)
            return try connection.nextDelivery(timeout: .seconds(10))?.body
        }
        #expect(received == Array("over TLS".utf8))
    }

    @Test func aBrokerVouchedForByAnotherCAIsRefused() async throws {
        let url = try LocalTLS.url(query: "cacertfile=\(LocalTLS.otherCA)")
        let failure = try await socketFailure(connecting: url)
        #expect(failure?.operation.contains("amqps://guest:***@localhost:5671") == true)
    }

    /// rabbitmq-c checks the certificate's DNS names only, not its IP addresses: a broker
    /// must be reached by a name its certificate carries (docs/configuration.md, TLS).
    @Test func anAddressInsteadOfTheCertificatesNameIsRefused() async throws {
        let url = try LocalTLS.url(host: "127.0.0.1", query: "cacertfile=\(LocalTLS.ca)")
        let failure = try await socketFailure(connecting: url)
        #expect(failure?.detail.contains("hostname verification") == true, "detail was: \(failure?.detail ?? "-")")
    }

    @Test func verifyNoneTrustsAnyCertificate() async throws {
        let url = try LocalTLS.url(query: "cacertfile=\(LocalTLS.otherCA)&verify=verify_none")
        #expect(try await opens(url))
    }

    @Test func aMissingCAFileIsNamedInTheError() async throws {
        let url = try LocalTLS.url(query: "cacertfile=/nonexistent/ca.pem")
        let failure = try await socketFailure(connecting: url)
        #expect(failure?.operation.contains("/nonexistent/ca.pem") == true)
    }

    /// The local broker does not ask for client certificates (verify_none): this shows the pair
    /// loads and the handshake still succeeds, not that the broker checked it.
    @Test func aClientCertificateAndItsKeyLoad() async throws {
        let folder = LocalTLS.folder
        let url = try LocalTLS.url(query: "cacertfile=\(LocalTLS.ca)&certfile=\(folder)/client.pem&keyfile=\(folder)/client.key")
        #expect(try await opens(url))
    }

    @Test func aMissingClientKeyIsNamedInTheError() async throws {
        let url = try LocalTLS.url(query: "cacertfile=\(LocalTLS.ca)&certfile=\(LocalTLS.folder)/client.pem&keyfile=/nonexistent/client.key")
        let failure = try await socketFailure(connecting: url)
        #expect(failure?.operation.contains("/nonexistent/client.key") == true)
    }

    @Test func tlsToThePlainListenerFailsInsteadOfHanging() async throws {
        let url = try LocalTLS.url(port: Broker.url.port, query: "cacertfile=\(LocalTLS.ca)")
        let error = try await DedicatedThread.run { amqpError { _ = try AMQPConnection(url: url) } }
        #expect(error != nil)
    }
}
