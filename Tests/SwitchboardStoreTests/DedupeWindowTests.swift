import BrokerTestSupport
import GRDB
import SwitchboardCore
import Testing
@testable import SwitchboardStore

/// Message ids are remembered for the dedupe window, then forgotten oldest first in small
/// rounds: within the window a repeat is still refused; past it, the id is free again.
@Suite struct DedupeWindowTests {
    @Test func idsOlderThanTheWindowAreForgottenAndARecentRepeatIsStillRefused() throws {
        let clock = Clock()
        let store = try makeStore(clock: clock)
        let source = try store.createSource("telegram")
        try store.createOperator("Ann", limit: 100)
        try store.send("u1", source: .id(source), messageId: "old")
        _ = try store.apply([.command(.operatorCreate(name: "Bob", maxLoadLimit: 1, isActive: true), messageId: "old-command")])
        clock.advance(seconds: 7_200)
        try store.send("u2", source: .id(source), messageId: "recent")
        _ = try store.apply([.command(.operatorCreate(name: "Cy", maxLoadLimit: 1, isActive: true), messageId: "recent-command")])

        let forgotten = try store.forgetMessageIds(olderThan: .seconds(3_600), limit: 256)
        #expect(forgotten.intake == 1 && forgotten.commands == 1)
        guard case .duplicate = try store.send("u2", source: .id(source), messageId: "recent") else {
            throw TestFailure("a repeat within the window must be refused")
        }
        guard case .repeatedCommand = try store.apply([.command(.operatorCreate(name: "Cy", maxLoadLimit: 1, isActive: true), messageId: "recent-command")]).results[0] else {
            throw TestFailure("a command repeated within the window must not run again")
        }
        // Past the window the id is free again: the one edge the window leaves (docs/configuration.md).
        if case .duplicate = try store.send("u1", source: .id(source), messageId: "old") {
            Issue.record("an id forgotten is a new message")
        }
        #expect(try store.forgetMessageIds(olderThan: .seconds(3_600), limit: 256) == (0, 0), "nothing else is old enough")
    }

    @Test func forgettingGoesOldestFirstInRoundsOfAtMostTheLimit() throws {
        let clock = Clock()
        let store = try makeStore(clock: clock)
        let source = try store.createSource("telegram")
        try store.createOperator("Ann", limit: 10_000)
        for n in 0..<600 { try store.send("u\(n)", source: .id(source), messageId: "m\(n)") }
        clock.advance(seconds: 100)
        for n in 600..<650 { try store.send("u\(n)", source: .id(source), messageId: "m\(n)") }
        clock.advance(seconds: 50)
        var rounds: [Int] = []
        for _ in 0..<5 { rounds.append(try store.forgetMessageIds(olderThan: .seconds(100), limit: 256).intake) }
        #expect(rounds == [256, 256, 88, 0, 0])
        let kept = try store.read { db in try String.fetchAll(db, sql: "SELECT message_id FROM processed_messages") }
        #expect(Set(kept) == Set((600..<650).map { "m\($0)" }), "the 50 newer ids are still remembered")
    }

    @Test func theStatusReportsTheAgeOfTheOldestIdRemembered() throws {
        let clock = Clock()
        let store = try makeStore(clock: clock)
        guard case let .status(empty) = try store.ok(.serviceStatus) else { throw TestFailure("not a status") }
        #expect(empty.oldestKeyAgeSeconds == 0)
        _ = try store.apply([.command(.operatorCreate(name: "Ann", maxLoadLimit: 1, isActive: true), messageId: "c-1")])
        clock.advance(seconds: 90)
        guard case let .status(status) = try store.ok(.serviceStatus) else { throw TestFailure("not a status") }
        #expect((90.0..<91.0).contains(status.oldestKeyAgeSeconds ?? -1), "\(String(describing: status.oldestKeyAgeSeconds))")
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own")) func aRoundReadsTheOldestRowsThroughAnIndexNotEveryRowKept() throws {
        let store = try makeStore()
        let plans = try store.readSQLite { db in
            try [
                "SELECT message_id FROM processed_messages WHERE processed_at < 1 ORDER BY processed_at LIMIT 256",
                "SELECT id, processed_at FROM processed_commands ORDER BY id LIMIT 256",
            ].map { try String.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + $0, adapter: SuffixRowAdapter(fromIndex: 3)).joined(separator: "; ") }
        }
        #expect(plans[0].contains("USING COVERING INDEX processed_messages_at") || plans[0].contains("USING INDEX processed_messages_at"), "\(plans[0])")
        #expect(!plans[1].contains("TEMP B-TREE"), "arrival order is the table's own: \(plans[1])")
    }
}
