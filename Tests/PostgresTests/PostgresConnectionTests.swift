import BrokerTestSupport
import Foundation
import Postgres
import Testing

/// The libpq wrapper against the real PostgreSQL of `scripts/postgres`.
@Suite struct PostgresConnectionTests {
    func session() throws -> PostgresConnection {
        try PostgresConnection(url: LocalPostgres.freshDatabase("wrapper"))
    }

    @Test func valuesComeBackAsTheyWereSentNullsTextIntegersAndBytes() throws {
        let db = try session()
        try db.executeScript("CREATE TABLE t (n BIGINT, s TEXT, b BYTEA)")
        let bytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0]
        try db.execute("INSERT INTO t VALUES ($1, $2, $3), ($4, $5, $6)", [
            .integer(Int64.min), .text("Grüße, 世界 👋 'quoted' \\ back"), .bytes(bytes),
            .null, .null, .null,
        ])
        let rows = try db.execute("SELECT n, s, b FROM t ORDER BY n NULLS LAST").rows
        #expect(rows == [
            [.text("\(Int64.min)"), .text("Grüße, 世界 👋 'quoted' \\ back"), .bytes(bytes)],
            [.null, .null, .null],
        ])
    }

    @Test func textHoldingUPlus0000IsRefusedBeforeItIsSentAndTheSessionGoesOn() throws {
        let db = try session()
        #expect(throws: PostgresError.usage("text holding U+0000 cannot be stored as PostgreSQL text; send it as bytes")) {
            try db.execute("SELECT $1::text", [.text("a\u{0}b")])
        }
        #expect(try db.execute("SELECT $1::text", [.text("ok")]).scalar == "ok")
    }

    @Test func aRefusalCarriesItsSQLStateAndTheSessionIsStillUsable() throws {
        let db = try session()
        try db.executeScript("CREATE TABLE u (name TEXT PRIMARY KEY)")
        try db.execute("INSERT INTO u VALUES ($1)", [.text("a")])
        do {
            try db.execute("INSERT INTO u VALUES ($1)", [.text("a")])
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.sqlState == "23505")
            #expect(error.description.contains("u_pkey"), "\(error)")
            #expect(!error.isConnectionFatal)
        }
        #expect(try db.execute("SELECT count(*) FROM u").scalar == "1")
    }

    @Test func aPipelineRunsItsStatementsInOrderInOneCall() throws {
        let db = try session()
        try db.executeScript("CREATE TABLE p (id BIGINT PRIMARY KEY, v TEXT)")
        var statements: [(sql: String, parameters: [PostgresParameter])] = [("BEGIN", [])]
        statements += (1...1_000).map { (sql: "INSERT INTO p VALUES ($1, $2)", parameters: [.integer(Int64($0)), .text("v\($0)")]) }
        statements += [("SELECT count(*), max(id) FROM p", []), ("COMMIT", [])]
        let results = try db.pipeline(statements)
        #expect(results.count == 1_003)
        #expect(results[1].affectedRows == 1)
        #expect(results[1_001].rows == [[.text("1000"), .text("1000")]])
        #expect(try db.execute("SELECT v FROM p WHERE id = $1", [.integer(777)]).scalar == "v777")
    }

    @Test func aRefusalInAPipelineStopsTheRestAndTheTransactionLeavesNothing() throws {
        let db = try session()
        try db.executeScript("CREATE TABLE p (id BIGINT PRIMARY KEY)")
        #expect(throws: PostgresError.self) {
            try db.pipeline([
                ("BEGIN", []), ("INSERT INTO p VALUES ($1)", [.integer(1)]), ("INSERT INTO p VALUES ($1)", [.integer(1)]),
                ("INSERT INTO p VALUES ($1)", [.integer(2)]), ("COMMIT", []),
            ])
        }
        try db.executeScript("ROLLBACK")
        #expect(try db.execute("SELECT count(*) FROM p").scalar == "0")
    }

    @Test func anAdvisoryLockHasOneHolderUntilItsSessionIsKilledAndThenTheKilledSessionFails() throws {
        let url = try LocalPostgres.freshDatabase("lock")
        let holder = try PostgresConnection(url: url)
        let other = try PostgresConnection(url: url)
        #expect(try holder.execute("SELECT pg_try_advisory_lock($1)", [.integer(42)]).scalar == "t")
        #expect(try other.execute("SELECT pg_try_advisory_lock($1)", [.integer(42)]).scalar == "f")
        #expect(try other.execute("SELECT pg_terminate_backend($1)", [.integer(Int64(holder.backendPID))]).scalar == "t")
        // The server lets go of the lock as the killed backend exits, a moment after the call.
        #expect(throws: Never.self) {
            try eventually(within: .seconds(5), every: .milliseconds(10), "the lock free again",
                           read: { try other.execute("SELECT pg_try_advisory_lock($1)", [.integer(42)]).scalar }, until: { $0 == "t" })
        }
        do {
            try holder.execute("SELECT 1")
            Issue.record("a terminated session still answered")
        } catch {
            #expect(error.isConnectionFatal, "\(error)")
        }
        #expect(!holder.isOpen)
    }

    @Test func onlyTheLoginsPasswordIsHiddenNotAnAtSignInTheOptions() {
        #expect(PostgresConnection.redacted("postgres://ops:s3cret@db:5432/switchboard?application_name=a@b")
            == "postgres://ops:***@db:5432/switchboard?application_name=a@b")
        #expect(PostgresConnection.redacted("postgresql://db/switchboard?user=a@b") == "postgresql://db/switchboard?user=a@b")
        #expect(PostgresConnection.redacted("postgres://ops@db/switchboard") == "postgres://ops@db/switchboard")
    }

    @Test func aServerThatDoesNotAnswerIsNamedWithoutItsPassword() throws {
        do {
            _ = try PostgresConnection(url: "postgres://switchboard:s3cret@127.0.0.1:1/switchboard", connectTimeoutSeconds: 2)
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.isConnectionFatal)
            #expect(error.description.contains("postgres://switchboard:***@127.0.0.1:1/switchboard"), "\(error)")
            #expect(!error.description.contains("s3cret"))
        }
    }
}
