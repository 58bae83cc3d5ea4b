import AMQP
import BrokerTestSupport
import Foundation
import Testing

/// The broker scripts/broker starts for the tests (scripts/rabbitmq-run says why this matters).
@Suite struct LocalBrokerTests {
    /// With 1,024 open files RabbitMQ allowed 832 sockets, and the whole suite's services and
    /// clients filled them: every login then waited for a minute. 10,000 leaves the suite
    /// ten times what it was seen to need.
    @Test func theTestBrokerHasRoomForTenThousandHandles() async throws {
        let limit = try await DedicatedThread.run {
            try rabbitmqctl("eval", "file_handle_cache:get_limit().").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect((Int(limit) ?? 0) >= 10_000, "the broker's file handle limit: \(limit)")
    }
}
