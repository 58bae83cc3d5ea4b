import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// A list of broker nodes whose first answers nothing: the service and switchboardctl move
/// on to the next, and say which node they are on.
@Suite struct SeveralBrokersTests {
    /// A node that is down: nothing listens on port 1 of the loopback.
    static var downNode: AMQPURL {
        var url = brokerURL
        url.port = 1
        return url
    }

    @Test func theServiceAndTheCLIMoveOnFromANodeThatIsDown() async throws {
        try await DedicatedThread.run {
            let prefix = uniquePrefix("several-brokers")
            // Both orders a process may try them in start, somewhere, with the dead node.
            let list = "\(Self.downNode.unredacted),\(brokerURL.unredacted)"
            let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase(), environment: ["SWITCHBOARD_AMQP_URL": list])
            defer { _ = service.terminate(timeout: .seconds(10)) }
            let client = ControlClient(brokers: try AMQPBrokers(parsing: list), prefix: prefix)
            defer { client.close() }
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
            let status = try client.ok("service.status")
            #expect(status["broker"]?.string == brokerURL.description, "the node in use, password hidden")
            #expect(!service.output.contains(brokerURL.unredacted), "no password in the log")

            for _ in 0..<4 {  // each run of the CLI draws its own order
                let result = try ctl(["health", "--json", "--amqp-url", list], prefix: prefix)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.json?["broker"]?.string == brokerURL.description)
            }
            try deleteTopologyNow(prefix)
        }
    }

    @Test func aListOfNodesThatAreAllDownSaysSoAndExits4() async throws {
        try await DedicatedThread.run {
            let result = try ctl(["operator", "list", "--amqp-url", "\(Self.downNode.unredacted),\(Self.downNode.unredacted)"],
                                 prefix: uniquePrefix("all-down"))
            #expect(result.status == 4, "\(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("127.0.0.1:1"))
        }
    }
}
