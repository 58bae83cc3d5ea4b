import BrokerTestSupport
import Foundation
import GRDB
import Postgres
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite struct IntakeTests {
    @Test func textHoldingUPlus0000AndEmptyTextAreStoredAndReadBackExactly() throws {
        let store = try makeStore()
        try store.createSource("chat")
        let message = "before\u{0}after \u{0}\u{0} end"
        guard case let .waiting(id) = try store.send("user\u{0}one", source: .identifier("chat"), message) else {
            Issue.record("with no operator, the request waits")
            return
        }
        guard case let .requestDetail(detail) = try store.ok(.requestGet(id: id)) else { Issue.record("not a detail"); return }
        #expect(detail.request.message == message)
        #expect(detail.user.identifier == "user\u{0}one")
        guard case let .waiting(second) = try store.send("user\u{0}one", source: .identifier("chat"), "") else { return }
        #expect(try store.requestNow(second).userId == detail.user.id, "the same user, found by the identifier with its U+0000")
        #expect(try store.requestNow(second).message == "")
    }

    @Test func unknownSourceIsRejectedAndStoresNothing() throws {
        let store = try makeStore()
        try store.createSource("telegram")
        let before = try store.snapshot()
        for reference in [SourceReference.id(9), .identifier("fax")] {
            guard case let .rejected(rejection) = try store.send("u", source: reference, messageId: "x") else {
                Issue.record("accepted \(reference)"); continue
            }
            #expect(rejection.code == .unknownSource)
        }
        #expect(try store.snapshot() == before, "a rejected message records nothing, not even its id")
    }

    @Test func eventsCarryTheContractFields() throws {
        let store = try makeStore()
        let op = try store.createOperator("Иван Петров", limit: 5)
        let tg = try store.createSource("telegram")
        try store.ok(.sourceSetWeights(sourceId: tg, weights: [Weight(operatorId: op, weight: 10)]))
        let (_, events) = try store.intake(IntakeMessage(userIdentifier: "user123@telegram", source: .id(tg), message: "Здравствуйте!"), messageId: "m-1")
        let event = try #require(events.first)
        #expect(event.routingKey == "request.assigned")
        #expect(event.correlationId == "m-1")
        let decoded = try JSONDecoder().decode(Event.self, from: Data(event.body))
        #expect(decoded.eventId == event.eventId)
        #expect(decoded.request.operatorName == "Иван Петров")
        #expect(decoded.request.sourceIdentifier == "telegram")
        #expect(decoded.request.userIdentifier == "user123@telegram")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(event.body)) as? [String: Any])
        let request = try #require(json["request"] as? [String: Any])
        #expect(request["closed_at"] is NSNull, "null fields are written, not left out")
        #expect((json["occurred_at"] as? String)?.hasSuffix("Z") == true)
    }

    @Test func outboxKeepsEventsUntilMarkedSent() throws {
        let store = try makeStore()
        let tg = try store.createSource("telegram")
        for n in 0..<5 { try store.send("u\(n)", source: .id(tg)) }
        let unsent = try store.unsentEvents()
        #expect(unsent.count == 5)
        #expect(unsent.map(\.id) == unsent.map(\.id).sorted())
        try store.markSent(Array(unsent.prefix(3).map(\.id)))
        #expect(try store.unsentEvents().map(\.id) == unsent.dropFirst(3).map(\.id))
    }
}

@Suite struct OutboxTests {
    @Test func aTransactionsEventsShareOneRowAndComeBackIntact() throws {
        let store = try makeStore()
        let op = try store.createOperator("Иван \"Петров\"\n", limit: 1)
        let tg = try store.createSource("telegram")
        try store.ok(.sourceSetWeights(sourceId: tg, weights: [Weight(operatorId: op, weight: 10)]))
        try store.markSent(try store.unsentEvents().map(\.id))
        let applied = try store.apply((0..<3).map { n in
            .intake(IntakeMessage(userIdentifier: "u\(n)", source: .id(tg), message: "line one\nline \"two\" \u{1}"), messageId: "m\(n)")
        })
        #expect(applied.events.count == 3)
        #expect(Set(applied.events.map(\.id)).count == 1, "one outbox row for the transaction")
        let unsent = try store.unsentEvents()
        #expect(unsent.map(\.eventId) == applied.events.map(\.eventId))
        #expect(unsent.map(\.routingKey) == ["request.assigned", "request.waiting", "request.waiting"])
        #expect(unsent.map(\.correlationId) == ["m0", "m1", "m2"])
        for (stored, original) in zip(unsent, applied.events) {
            let a = try JSONDecoder().decode(Event.self, from: Data(stored.body))
            let b = try JSONDecoder().decode(Event.self, from: Data(original.body))
            #expect(a == b)
        }
        guard case let .status(status) = try store.ok(.serviceStatus) else { throw TestFailure("status") }
        #expect(status.outboxPending == 3)
        try store.markSent(applied.events.map(\.id))
        #expect(try store.unsentEvents().isEmpty)
    }
}

@Suite struct MigrationTests {
    @Test func bothDatabasesHaveTheSameMigrationsUnderTheSameNames() {
        #expect(PostgresSchema.migrations.map(\.name) == Schema.migrator.migrations)
    }

    @Test(.enabled(if: TestDatabase.isPostgres, "PostgreSQL's own")) func anEmptyPostgresDatabaseMigratesOnceToTheLatestSchema() throws {
        let url = temporaryDatabasePath()
        _ = try makeStore(path: url)
        let connection = try PostgresConnection(url: url)
        #expect(try PostgresSchema.applied(connection) == Schema.migrator.migrations)
        // A second opening finds nothing to do, and the first writer's epoch was 1.
        let second = try makeStore(path: url)
        #expect(second.writerEpoch == 2)
        #expect(try connection.execute("SELECT count(*) FROM schema_migrations").scalar == "\(Schema.migrator.migrations.count)")
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own")) func anEmptyFileMigratesToTheLatestSchema() throws {
        let store = try makeStore()
        let applied = try store.readSQLite { try Schema.migrator.appliedMigrations($0) }
        #expect(applied == ["v1-initial", "v2-counters-and-waiting-index", "v3-requests-status-check", "v4-processed-commands",
                            "v5-store-id", "v6-events-set-aside", "v7-presence-and-offers",
                            "v8-processed-commands-in-arrival-order", "v9-audit", "v10-message-ids-by-age", "v11-retention",
                            "v12-priority-escalation-sticky", "v13-writer-epochs", "v14-event-retries", "v15-competencies",
                            "v16-wrap-up", "v17-working-hours", "v18-transfer", "v19-audit-via", "v20-presence-changes",
                            "v21-setting-changes"])
        let mode = try store.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        #expect(try store.read { try Int.fetchOne($0, sql: "PRAGMA auto_vacuum") } == 2, "INCREMENTAL: purged pages can go back")
        // The writer is the connection whose commits must reach the disk.
        let sync = try store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(sync == 2, "synchronous=FULL on the writer")
        let fk = try store.read { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") }
        #expect(fk == 1)
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own")) func aFileFromTheFirstMigrationUpgradesWithItsData() throws {
        let path = temporaryDatabasePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(old, upTo: "v1-initial")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO operators (name, max_load_limit, current_load, created_at) VALUES ('Old', 5, 1, 0);
                    INSERT INTO sources (name, identifier, created_at) VALUES ('TG', 'telegram', 0);
                    INSERT INTO users (identifier, created_at) VALUES ('u', 0);
                    INSERT INTO requests (user_id, source_id, operator_id, message, status, created_at, assigned_at)
                        VALUES (1, 1, 1, 'hi', 'assigned', 0, 0);
                    INSERT INTO requests (user_id, source_id, message, status, created_at) VALUES (1, 1, 'later', 'waiting', 0);
                    INSERT INTO requests (user_id, source_id, message, status, created_at) VALUES (1, 1, 'gone', 'waiting', 0);
                    DELETE FROM requests WHERE id = 3;
                    """)
            }
        }
        let store = try makeStore(path: path)
        guard case let .distribution(dist) = try store.ok(.statsRequestsDistribution) else { throw TestFailure("dist") }
        #expect(dist.byOperator.map(\.requestCount) == [1], "counters backfilled from the old rows")
        #expect(dist.bySource.map(\.requestCount) == [2])
        #expect(dist.unassignedCount == 1)
        #expect(try store.operatorNow(1).name == "Old")
        #expect(try store.requestNow(2).status == .waiting)
        try store.checkInvariants()
        // The rebuilt requests table keeps its id counter: id 3 was used once, so never again.
        guard case let .waiting(requestId) = try store.send("v", source: .identifier("telegram")) else { throw TestFailure("no weights: waits") }
        #expect(requestId == 4)
        let badStatus = #expect(throws: DatabaseError.self) {
            try store.pool.write { try $0.execute(sql: "UPDATE requests SET status = 'lost' WHERE id = 1") }
        }
        #expect(badStatus?.resultCode == .SQLITE_CONSTRAINT, "the status rule still holds")
    }
}
