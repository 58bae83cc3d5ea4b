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

    /// A quorum queue's Raft member that does not answer within 5 s is listed without its
    /// consumer, and rabbitmqctl still succeeds; asked again once it answers, the listing
    /// shows the consumer. So tests never read a queue left out of the listing as unconsumed.
    @Test func aSlowRaftMemberLeavesItsConsumerOutOfTheListingUntilItAnswers() async throws {
        let queue = Broker.uniqueName("slow-raft")
        let member = "element(1, amqqueue:get_pid(element(2, rabbit_amqqueue:lookup(rabbit_misc:r(<<\"/\">>, queue, <<\"\(queue)\">>)))))"
        let (whileSuspended, settled) = try await DedicatedThread.run { () throws -> ([String: Int], [String: Int]) in
            let connection = try Broker.connect("slow-raft")
            defer { connection.close() }
            try connection.declareQueue(queue, arguments: ["x-queue-type": "quorum"])
            defer { _ = try? connection.deleteQueue(queue) }
            try connection.consume(queue: queue)
            try rabbitmqctl("eval", "sys:suspend(\(member)).")
            let settled = OnItsOwnThread { try consumerCountsOnceEveryQueueIsListed([queue], timeout: .seconds(60)) }
            let whileSuspended = Result { try listedConsumerCounts([queue]) }
            try rabbitmqctl("eval", "sys:resume(\(member)).")
            return (try whileSuspended.get(), try settled.result())
        }
        #expect(whileSuspended.isEmpty, "listed while its Raft member was suspended: \(whileSuspended)")
        #expect(settled == [queue: 1])
    }
}

/// Runs `body` on a thread of its own from the start; `result()` waits for it.
private final class OnItsOwnThread<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<T, any Error>?  // written before `done` is signalled, read after

    init(_ body: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            outcome = Result(catching: body)
            done.signal()
        }
    }

    func result() throws -> T {
        done.wait()
        return try outcome!.get()
    }
}
