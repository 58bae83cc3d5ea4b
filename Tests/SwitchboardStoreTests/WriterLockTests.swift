import BrokerTestSupport
import Foundation
import Postgres
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// One writer per PostgreSQL database, fenced by the database: the writer's lock lives and
/// dies with its session.
@Suite(.enabled(if: TestDatabase.isPostgres, "PostgreSQL's own")) struct WriterLockTests {
    @Test func aSecondStoreIsRefusedNamingTheWriterUntilTheFirstCloses() throws {
        let url = temporaryDatabasePath()
        var first: SwitchboardStore? = try makeStore(path: url)
        let refusal = #expect(throws: StoreError.self) { _ = try makeStore(path: url) }
        #expect(refusal?.isHeldElsewhere == true)
        #expect("\(refusal.map { "\($0)" } ?? "")".contains("pid \(getpid())"), "the message names the writer's process")
        first = nil
        #expect(first == nil)
        let second = try makeStore(path: url)
        #expect(second.writerEpoch == 2)
    }

    @Test func writersOfTwoDatabasesOnOneServerDoNotStandInEachOthersWay() throws {
        let (one, other) = (try makeStore(), try makeStore())
        try one.createSource("telegram")
        try other.createSource("telegram")
        #expect(try one.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sources") } == 1)
    }

    @Test func aWriterThatLostItsSessionCanCommitNothingMore() throws {
        let url = temporaryDatabasePath()
        let store = try makeStore(path: url)
        let source = try store.createSource("telegram")
        let admin = try PostgresConnection(url: url)
        try admin.execute("""
            SELECT pg_terminate_backend(pid, 2000) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
        let lost = #expect(throws: (any Error).self) { try store.send("u1", source: .id(source)) }
        #expect(lost.map(SwitchboardStore.isSessionLost) == true, "\(String(describing: lost))")
        #expect(try admin.execute("SELECT count(*) FROM requests").scalar == "0")
        // The lock went with the session: another writer opens at once.
        let next = try makeStore(path: url)
        #expect(try next.send("u1", source: .id(source)) == .waiting(requestId: 1))
    }

    @Test func aWriterWhoseSessionWaitsPastTheLimitIsTakenForHungAndEnded() throws {
        let url = temporaryDatabasePath()
        let hung = try makeStore(path: url)
        // Touched, it keeps the lock against a standby trying for two seconds.
        let until = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < until {
            try hung.keepAlive()
            #expect(throws: StoreError.self) { _ = try makeStore(path: url) }
            Thread.sleep(forTimeInterval: 0.25)
        }
        // Untouched past the limit, its session is ended and the standby writes.
        let taken = try eventually(within: .seconds(PostgresBackend.hungAfterSeconds + 3), every: .milliseconds(250),
                                   "a standby takes over from the hung writer") { _ in try makeStore(path: url) }
        #expect(taken.writerEpoch == hung.writerEpoch + 1)
        #expect(throws: (any Error).self) { try hung.createSource("late") }
    }
}

@Suite struct WriterEpochTests {
    @Test func requestsCarryTheEpochOfTheWriterThatCreatedThem() throws {
        let url = temporaryDatabasePath()
        var first: SwitchboardStore? = try makeStore(path: url)
        let source = try first!.createSource("telegram")
        try first!.send("u1", source: .id(source))
        first = nil
        let second = try makeStore(path: url)
        try second.send("u2", source: .id(source))
        let epochs = try second.read { try Int64.fetchAll($0, sql: "SELECT writer_epoch FROM requests ORDER BY id") }
        #expect(epochs == [1, 2])
    }
}
