import BrokerTestSupport
import Foundation
import GRDB
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// A command's message id is its idempotency key, as intake's is: a change runs once, and a
/// repeat gets the first reply.
@Suite struct CommandIdempotencyTests {
    static let create = Command.operatorCreate(name: "Ada", maxLoadLimit: 3, isActive: true)

    @Test func aRepeatedChangeRunsOnceAndGetsTheFirstReply() throws {
        let store = try makeStore()
        let first = try store.apply([.command(Self.create, messageId: "m-1")]).results[0]
        let again = try store.apply([.command(Self.create, messageId: "m-1")]).results[0]
        guard case let .command(outcome) = first, case let .repeatedCommand(reply) = again else { throw TestFailure("\(first), \(again)") }
        #expect(try json(reply) == json(Reply(outcome).jsonBytes()))
        #expect(try operatorNames(store) == ["Ada"])
    }

    @Test func aRepeatInTheSameBatchIsCaughtToo() throws {
        let store = try makeStore()
        let results = try store.apply([.command(Self.create, messageId: "m-1"), .command(Self.create, messageId: "m-1")]).results
        guard case .command = results[0], case .repeatedCommand = results[1] else { throw TestFailure("\(results)") }
        #expect(try operatorNames(store) == ["Ada"])
    }

    @Test func aFailedChangeRepeatsItsError() throws {
        let store = try makeStore()
        let close = Command.requestClose(id: 99)
        let first = try store.apply([.command(close, messageId: "m-9")]).results[0]
        guard case let .command(.failure(error)) = first else { throw TestFailure("expected not_found") }
        #expect(error.code == .notFound)
        guard case let .repeatedCommand(reply) = try store.apply([.command(close, messageId: "m-9")]).results[0] else {
            throw TestFailure("the repeat ran again")
        }
        #expect(try json(reply) == json(Reply(.failure(error)).jsonBytes()))
    }

    @Test func differentIdsOrNoIdRunEachTime() throws {
        let store = try makeStore()
        _ = try store.apply([.command(Self.create, messageId: "m-1"), .command(Self.create, messageId: "m-2")])
        _ = try store.apply([.command(Self.create), .command(Self.create)])
        #expect(try operatorNames(store).count == 4)
    }

    @Test func readsAreNotRecorded() throws {
        let store = try makeStore()
        for _ in 0..<2 {
            let result = try store.apply([.command(.operatorList(), messageId: "r-1")]).results[0]
            guard case .command(.success) = result else { throw TestFailure("a read runs every time: \(result)") }
        }
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM processed_commands") } == 0)
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own")) func anIdWhoseKeyCollidesWithAnotherIsStillANewCommand() throws {
        let store = try makeStore()
        // Another id with the same 64-bit key: the index finds its row, and the ids differ.
        try store.pool.write { db in
            try db.execute(sql: "INSERT INTO processed_commands (message_key, message_id, reply, processed_at) VALUES (?, 'other', x'7b7d', 0)",
                           arguments: [MessageKey.of("m-2")])
        }
        guard case .command(.success) = try store.apply([.command(Self.create, messageId: "m-2")]).results[0] else {
            throw TestFailure("m-2 was taken for a repeat of 'other'")
        }
        #expect(try operatorNames(store) == ["Ada"])
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own")) func aCommandAnsweredBeforeTheUpgradeIsAnsweredTheSameAfterIt() throws {
        let path = temporaryDatabasePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let firstReply = Array(#"{"ok":true,"result":{"id":7}}"#.utf8)
        do {
            let old = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(old, upTo: "v7-presence-and-offers")
            try old.write { db in
                for (id, at) in [("m-old", 5), ("m-older", 1)] {
                    try db.execute(sql: "INSERT INTO processed_commands (message_id, reply, processed_at) VALUES (?, ?, ?)",
                                   arguments: [id, Data(firstReply), at])
                }
            }
        }
        let store = try makeStore(path: path)
        guard case let .repeatedCommand(reply) = try store.apply([.command(Self.create, messageId: "m-old")]).results[0] else {
            throw TestFailure("the command ran again after the upgrade")
        }
        #expect(reply == firstReply)
        #expect(try operatorNames(store).isEmpty)
        let order = try store.read { try String.fetchAll($0, sql: "SELECT message_id FROM processed_commands ORDER BY id") }
        #expect(order == ["m-older", "m-old"], "rows are kept in the order they were processed")
    }

    private func json(_ bytes: [UInt8]) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }

    private func operatorNames(_ store: SwitchboardStore) throws -> [String] {
        guard case let .operators(all) = try store.ok(.operatorList()) else { throw TestFailure("not a list") }
        return all.map(\.name)
    }
}
