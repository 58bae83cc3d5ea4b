import AMQP
import BrokerTestSupport
import Foundation
import Testing

/// The broker scripts/broker starts for the tests (scripts/rabbitmq-run says why this matters).
@Suite struct LocalBrokerTests {
    /// With 1,024 open files RabbitMQ allowed 832 sockets; full passes reached that, and every
    /// login then waited for a minute. 10,000 handles is more than ten times the old 927.
    @Test func theTestBrokerHasRoomForTenThousandHandles() async throws {
        let limit = try await DedicatedThread.run {
            try rabbitmqctl("eval", "file_handle_cache:get_limit().").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect((Int(limit) ?? 0) >= 10_000, "the broker's file handle limit: \(limit)")
    }

    /// A command rabbitmqctl refuses throws with its status and its words, listing or not,
    /// rather than reading as empty output.
    @Test func aFailedRabbitmqctlThrowsWhatItSaid() async throws {
        let failure = try await DedicatedThread.run { () -> RabbitmqctlFailure? in
            do {
                _ = try rabbitmqctlListing("list_queues", "no_such_column")
                return nil
            } catch {
                return error as? RabbitmqctlFailure
            }
        }
        let said = try #require(failure, "the listing threw a RabbitmqctlFailure")
        #expect(said.status != 0)
        #expect(said.stderr.contains("no_such_column"), "\(said)")
    }
}
