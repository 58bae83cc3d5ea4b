import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardCore
import Testing

/// The service and switchboardctl over amqps://, against the local broker's TLS listener and
/// the throwaway CA scripts/broker makes (skipped where that CA is absent).
@Suite(.enabled(if: LocalTLS.isSetUp, "scripts/broker makes the local TLS listener and its CA"))
struct TLSServiceTests {
    @Test func theServiceAndTheCLIWorkOverTLS() async throws {
        let url = try AMQPURL(parsing: LocalTLS.urlText(query: "cacertfile=\(LocalTLS.ca)"))
        let running = await RunningService(label: "tls", url: url)
        let prefix = running.prefix
        try await DedicatedThread.run { try Self.manageAndRoute(prefix: prefix, url: url) }
        try await running.finish()
    }

    private static func manageAndRoute(prefix p: String, url: AMQPURL) throws {
        let health = try ctl(["health"], prefix: p, url: url)
        #expect(health.status == 0, "health over TLS: \(health.stdout)\(health.stderr)")
        let created = try ctl(["operator", "create", "--name", "Ada", "--max-load", "2", "--json"], prefix: p, url: url)
        #expect(created.json?["name"]?.string == "Ada", "\(created.stderr)")
        #expect(try ctl(["source", "create", "--name", "Chat", "--identifier", "chat"], prefix: p, url: url).status == 0)
        #expect(try ctl(["source", "weights", "1", "1=10"], prefix: p, url: url).status == 0)
        let sent = try ctl(["request", "send", "--user", "u@chat", "--source", "chat", "--message", "hello"], prefix: p, url: url)
        #expect(sent.status == 0, "\(sent.stderr)")
        // The request went in over TLS, and the service, on TLS too, assigned it. Each check
        // is a CLI round trip, so the loop paces itself.
        #expect(throws: Never.self) {
            try eventually(within: .seconds(10), "operator 1 has the request",
                           read: { try ctl(["operator", "get", "1", "--json"], prefix: p, url: url).json?["current_load"]?.int },
                           until: { $0 == 1 })
        }
    }

    @Test func aListWhoseLiveNodeIsATLSOneWorksTheSameWay() async throws {
        try await DedicatedThread.run {
            let tls = LocalTLS.urlText(query: "cacertfile=\(LocalTLS.ca)")
            let list = "\(SeveralBrokersTests.downNode.unredacted),\(tls)"
            let prefix = uniquePrefix("tls-list")
            let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase(), environment: ["SWITCHBOARD_AMQP_URL": list])
            defer { _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix, brokers: AMQPBrokers(parsing: tls)) }
            try service.waitForRole("active", timeout: .seconds(30))
            let health = try ctl(["health", "--json", "--amqp-url", list], prefix: prefix)
            #expect(health.status == 0, "\(health.stderr)")
            #expect(health.json?["broker"]?.string?.hasPrefix("amqps://") == true, "\(health.stdout)")
        }
    }

    @Test func anUntrustedBrokerIsABrokerUnreachableExit() async throws {
        let url = try AMQPURL(parsing: LocalTLS.urlText(query: "cacertfile=\(LocalTLS.otherCA)"))
        let result = try await DedicatedThread.run { try ctl(["operator", "list"], prefix: uniquePrefix("tls-untrusted"), url: url) }
        #expect(result.status == 4, "exit code 4 is 'broker unreachable': \(result.stderr)")
        #expect(result.stderr.contains("SSL peer cert verification failed"), "\(result.stderr)")
        #expect(!result.stderr.contains("guest:guest"), "the password must not be printed")
    }
}
