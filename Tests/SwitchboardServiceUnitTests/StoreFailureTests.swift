import GRDB
import Postgres
import SwitchboardStore
import Testing

/// SQLite's and PostgreSQL's failures in the writer's few words, with a way on for each.
@Suite struct StoreFailureTests {
    @Test func aFullDiskIsTheSameUnavailableOnEitherDatabaseAndSaysToFreeSpace() {
        let sqlite = StoreFailure(DatabaseError(resultCode: .SQLITE_FULL))
        let postgres = StoreFailure(PostgresError.server(sqlState: "53100", message: "could not extend file", detail: nil))
        for failure in [sqlite, postgres] {
            #expect(failure.kind == .unavailable)
            #expect(failure.reason.contains("full"), "\(failure)")
            #expect(failure.wayOn.hasPrefix("free space"), "\(failure)")
        }
    }

    @Test func anExtendedIOErrorCountsAsItsPrimaryCode() {
        #expect(StoreFailure(DatabaseError(resultCode: .SQLITE_IOERR_WRITE)).kind == .unavailable)
        #expect(StoreFailure(DatabaseError(resultCode: .SQLITE_READONLY_DBMOVED)).kind == .unavailable)
    }

    @Test func aLostSessionIsToldApartFromAServerThatRefusesWrites() {
        #expect(StoreFailure(PostgresError.server(sqlState: "57P01", message: "terminating connection", detail: nil)).kind == .sessionLost)
        let readOnly = StoreFailure(PostgresError.server(sqlState: "25006", message: "read-only transaction", detail: nil))
        #expect(readOnly.kind == .unavailable)
        #expect(readOnly.wayOn.contains("SWITCHBOARD_DB"))
    }

    @Test func aConstraintViolationIsAFaultNotSomethingToWaitFor() {
        #expect(StoreFailure(DatabaseError(resultCode: .SQLITE_CONSTRAINT)).kind == .fault)
        #expect(StoreFailure(PostgresError.server(sqlState: "23505", message: "duplicate key", detail: nil)).kind == .fault)
        #expect(!SwitchboardStore.isUnavailable(DatabaseError(resultCode: .SQLITE_CONSTRAINT)))
    }

    @Test func anotherWriterMeansStandingBy() {
        #expect(StoreFailure(StoreError.writerElsewhere(database: "db", holder: "pid 7")).kind == .heldElsewhere)
    }
}
