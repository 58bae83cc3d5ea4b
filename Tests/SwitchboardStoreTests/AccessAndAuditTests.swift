import BrokerTestSupport
import Foundation
import GRDB
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// A command as it comes off the control queue: its body parsed as the pipeline parses it,
/// with the sender's user.
func sent(_ body: String, user: String?, messageId: String? = nil) -> WorkItem {
    .control(Command.read(Array(body.utf8)), messageId: messageId, user: user)
}

extension SwitchboardStore {
    func run(_ body: String, user: String?, messageId: String? = nil) throws -> Result<CommandResult, CommandError> {
        switch try apply([sent(body, user: user, messageId: messageId)]).results[0] {
        case let .command(outcome): return outcome
        case let other: throw TestFailure("not a command outcome: \(other)")
        }
    }

    func auditRows() throws -> [AuditEntry] {
        guard case let .audit(rows) = try ok(.auditList(AuditFilter(limit: 1_000))) else { throw TestFailure("not audit rows") }
        return rows
    }
}

@Suite struct AccessTests {
    static let roles = AccessPolicy(admins: ["ops", "both"], consoles: ["desk", "both"])

    @Test func aConsoleUserMayReadAndAnswerForOperatorsButNotChangeThem() throws {
        let store = try makeStore(access: Self.roles)
        _ = try store.run(#"{"command":"operator.create","args":{"name":"Ann","max_load_limit":2}}"#, user: "ops").get()
        _ = try store.run(#"{"command":"source.create","args":{"name":"Chat","identifier":"chat"}}"#, user: "ops").get()
        _ = try store.run(#"{"command":"source.set_weights","args":{"source_id":1,"weights":[{"operator_id":1,"weight":5}]}}"#, user: "ops").get()
        guard case .assigned = try store.send("u1", source: .identifier("chat")) else { throw TestFailure("not assigned") }
        _ = try store.run(#"{"command":"operator.list"}"#, user: "desk").get()
        _ = try store.run(#"{"command":"request.close","args":{"id":1}}"#, user: "desk").get()
        _ = try store.run(#"{"command":"operator.set_presence","args":{"id":1,"presence":"away"}}"#, user: "desk").get()

        let delete = try store.run(#"{"command":"operator.delete","args":{"id":1}}"#, user: "desk")
        guard case let .failure(error) = delete else { throw TestFailure("a console user deleted an operator") }
        #expect(error.code == .forbidden)
        #expect(error.message.contains("\"desk\" is a console user"), "\(error.message)")
        #expect(try store.operatorNow(1).name == "Ann", "nothing changed")
        let audit = try store.run(#"{"command":"audit.list"}"#, user: "desk")
        #expect((try? audit.get()) == nil, "the audit trail is for admins")
    }

    @Test func aUserInNoRoleOrNoUserAtAllIsRefusedEvenToRead() throws {
        let store = try makeStore(access: Self.roles)
        for user in ["stranger", nil] as [String?] {
            guard case let .failure(error) = try store.run(#"{"command":"operator.list"}"#, user: user) else {
                throw TestFailure("\(user ?? "nobody") could read")
            }
            #expect(error.code == .forbidden)
        }
        // A malformed command from a stranger is refused, not explained.
        guard case let .failure(error) = try store.run(#"{"command":"operator.create","args":{"name":""}}"#, user: "stranger") else {
            throw TestFailure("accepted")
        }
        #expect(error.code == .forbidden)
    }

    @Test func aUserListedInBothRolesIsAnAdmin() throws {
        let store = try makeStore(access: Self.roles)
        _ = try store.run(#"{"command":"operator.create","args":{"name":"Ann","max_load_limit":2}}"#, user: "both").get()
        _ = try store.run(#"{"command":"audit.list"}"#, user: "both").get()
    }

    @Test func withNoRolesEveryCommandIsAllowedFromAnyoneOrNoOne() throws {
        let store = try makeStore()
        _ = try store.run(#"{"command":"operator.create","args":{"name":"Ann","max_load_limit":2}}"#, user: nil).get()
        _ = try store.run(#"{"command":"operator.delete","args":{"id":1}}"#, user: "anyone").get()
        _ = try store.run(#"{"command":"audit.list"}"#, user: "anyone").get()
    }

    @Test func roleListsDropBlankEntriesAndSayHowMany() {
        let parsed = AccessPolicy.users(" ops , ,desk,,  ")
        #expect(parsed.users == ["ops", "desk"])
        #expect(parsed.blanks == 3)
        #expect(AccessPolicy.users(nil).users.isEmpty)
    }
}

@Suite struct AuditTests {
    @Test func everyChangeIsRecordedWithItsSenderArgsAndOutcomeAndReadsAreNot() throws {
        let store = try makeStore()
        _ = try store.run(#"{"command":"operator.create","args":{"name":"Ann","max_load_limit":2}}"#, user: "ops", messageId: "m-1")
        _ = try store.run(#"{"command":"operator.list"}"#, user: "ops")
        _ = try store.run(#"{"command":"operator.delete","args":{"id":9}}"#, user: "ops", messageId: "m-2")
        _ = try store.run(#"{"command":"operator.update","args":{"id":1,"max_load_limit":0}}"#, user: "desk")
        let rows = try store.auditRows()
        #expect(rows.map(\.command) == ["operator.create", "operator.delete", "operator.update"])
        #expect(rows.map(\.outcome) == ["ok", "not_found", "validation_error"])
        #expect(rows.map(\.user) == ["ops", "ops", "desk"])
        #expect(rows.map(\.messageId) == ["m-1", "m-2", nil])
        #expect(rows[0].args == ["name": "Ann", "max_load_limit": 2])
        #expect(rows[2].args == ["id": 1, "max_load_limit": 0], "args as sent, even when they are wrong")
    }

    @Test func argumentsWithUPlus0000AreKeptExactlyWhileTheCommandIsRefused() throws {
        let store = try makeStore()
        let outcome = try store.run(#"{"command":"operator.create","args":{"name":"x\u0000y","max_load_limit":2}}"#, user: "ops")
        guard case let .failure(error) = outcome else { throw TestFailure("a name with U+0000 was taken") }
        #expect(error.code == .validationError)
        #expect(try store.auditRows().map(\.args) == [["name": .string("x\u{0}y"), "max_load_limit": 2]])
    }

    @Test func nothingResemblingACredentialIsStored() throws {
        let store = try makeStore()
        _ = try store.run(#"""
            {"command":"operator.create","args":{"name":"see amqp://ops:hunter2@mq:5672/%2f and https://a:b@c","max_load_limit":2,
             "Password":"hunter3","extra":{"api_token":"hunter4","list":[{"client_secret":"hunter5"}]}}}
            """#, user: "ops")
        let stored = String(decoding: try #require(store.auditRows().first).args.jsonBytes(), as: UTF8.self)
        for secret in ["hunter2", "hunter3", "hunter4", "hunter5", ":b@"] { #expect(!stored.contains(secret), "\(stored)") }
        #expect(stored.contains("amqp://ops:***@mq:5672/%2f"), "\(stored)")
        #expect(stored.contains("https://a:***@c"), "\(stored)")
        #expect(stored.contains(#""max_load_limit":2"#), "everything else as sent: \(stored)")
    }

    @Test func aRepeatedMessageIdLeavesOneRow() throws {
        let store = try makeStore()
        for _ in 0..<3 {
            _ = try store.apply([sent(#"{"command":"operator.create","args":{"name":"Ann","max_load_limit":2}}"#, user: "ops", messageId: "m-1")])
        }
        #expect(try store.auditRows().count == 1)
    }

    @Test func aRefusedReadRedeliveredLeavesOneRowAndGetsTheSameAnswer() throws {
        let store = try makeStore(access: AccessPolicy(admins: ["ops"]))
        let first = try store.apply([sent(#"{"command":"operator.list"}"#, user: "mallory", messageId: "m-1")]).results[0]
        let again = try store.apply([sent(#"{"command":"operator.list"}"#, user: "mallory", messageId: "m-1")]).results[0]
        guard case .command(.failure(let refusal)) = first, case .repeatedCommand(let reply) = again else {
            Issue.record("first \(first), again \(again)")
            return
        }
        #expect(try JSONParser.parse(reply) == JSONParser.parse(Reply(.failure(refusal)).jsonBytes()))
        #expect(try store.auditRows().count == 1)
    }

    @Test func refusalsAreRecordedReadsIncluded() throws {
        let store = try makeStore(access: AccessPolicy(admins: ["ops"]))
        _ = try store.run(#"{"command":"operator.list"}"#, user: "mallory")
        _ = try store.run(#"{"command":"source.create","args":{"name":"X","identifier":"x"}}"#, user: nil)
        let rows = try store.auditRows()
        #expect(rows.map(\.command) == ["operator.list", "source.create"])
        #expect(rows.map(\.outcome) == ["forbidden", "forbidden"])
        #expect(rows.map(\.user) == ["mallory", nil])
    }

    @Test func theListFiltersByUserAndCommandAndPagesById() throws {
        let store = try makeStore()
        for (n, user) in ["ops", "desk", "ops", "ops"].enumerated() {
            _ = try store.run(#"{"command":"operator.create","args":{"name":"N\#(n)","max_load_limit":2}}"#, user: user)
        }
        _ = try store.run(#"{"command":"operator.toggle_active","args":{"id":1}}"#, user: "ops")
        func ids(_ filter: AuditFilter) throws -> [Int64] {
            guard case let .audit(rows) = try store.ok(.auditList(filter)) else { throw TestFailure("not audit rows") }
            return rows.map(\.id)
        }
        #expect(try ids(AuditFilter(user: "ops")) == [1, 3, 4, 5])
        #expect(try ids(AuditFilter(user: "ops", command: "operator.create")) == [1, 3, 4])
        #expect(try ids(AuditFilter(afterId: 3, limit: 1, user: "ops")) == [4])
        #expect(try ids(AuditFilter(command: "operator.toggle_active")) == [5])
    }

    @Test func aFilterOfTheWrongTypeIsAValidationErrorNamingIt() {
        for (field, value) in [("user", "1"), ("command", "true"), ("after_id", "\"x\""), ("limit", "0")] {
            guard case let .failure(error) = Command.parse(Array(#"{"command":"audit.list","args":{"\#(field)":\#(value)}}"#.utf8)) else {
                Issue.record("\(field) accepted")
                continue
            }
            #expect(error.code == .validationError)
            #expect(error.details.map(\.field) == [field])
        }
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own")) func theRowIsWrittenWithItsEffectOrNotAtAll() throws {
        let path = temporaryDatabasePath()
        let store = try makeStore(path: path)
        // A batch whose transaction fails (an intake naming a closed database is not enough:
        // make the table refuse the audit row) leaves neither the operator nor its row.
        try store.pool.write { try $0.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'no'); END") }
        #expect(throws: (any Error).self) {
            _ = try store.apply([sent(#"{"command":"operator.create","args":{"name":"Ann","max_load_limit":2}}"#, user: "ops")])
        }
        try store.pool.write { try $0.execute(sql: "DROP TRIGGER refuse") }
        guard case let .operators(all) = try store.ok(.operatorList()) else { throw TestFailure("not a list") }
        #expect(all.isEmpty, "no effect without its row")
        #expect(try store.auditRows().isEmpty)
    }
}

@Suite struct AuditProperties {
    /// Everything a command could change, as one string.
    static func state(_ store: SwitchboardStore) throws -> String {
        try store.read { db in
            try ["SELECT id, name, is_active, max_load_limit, current_load, presence FROM operators ORDER BY id",
                 "SELECT id, name, identifier, offer_timeout_seconds FROM sources ORDER BY id",
                 "SELECT source_id, operator_id, weight FROM weights ORDER BY 1, 2",
                 "SELECT id, status, operator_id FROM requests ORDER BY id"]
                .map { sql in try SQLRow.fetchAll(db, sql: sql).map(\.description).joined(separator: ";") }
                .joined(separator: "|")
        }
    }

    static let bodies = [
        #"{"command":"operator.create","args":{"name":"Op","max_load_limit":2}}"#,
        #"{"command":"operator.update","args":{"id":%d,"max_load_limit":%d}}"#,
        #"{"command":"operator.toggle_active","args":{"id":%d}}"#,
        #"{"command":"operator.delete","args":{"id":%d}}"#,
        #"{"command":"operator.set_presence","args":{"id":%d,"presence":"away"}}"#,
        #"{"command":"operator.set_presence","args":{"id":%d,"presence":"available"}}"#,
        #"{"command":"source.set_weights","args":{"source_id":1,"weights":[{"operator_id":%d,"weight":%d}]}}"#,
        #"{"command":"request.close","args":{"id":%d}}"#,
        #"{"command":"request.assign","args":{"id":%d}}"#,
        #"{"command":"operator.list"}"#,
        #"{"command":"stats.operators_load"}"#,
        #"{"command":"audit.list","args":{"limit":%d}}"#,
        #"{"command":"operator.update","args":{"id":"x"}}"#,
        #"{"command":"no.such.command"}"#,
    ]

    static func auditCount(_ store: SwitchboardStore) throws -> Int {
        try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit") } ?? 0
    }

    @Test(arguments: 1...4 as ClosedRange<UInt64>)
    func everyChangeHasExactlyOneRowAndOnlyAnOkRowComesWithAnEffect(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let users: [String?] = ["ops", "desk", "both", "mallory", nil]
        let admins = Set(["ops", "both"].filter { _ in random.next() % 2 == 0 })
        let consoles = Set(["desk", "both"].filter { _ in random.next() % 2 == 0 })
        let store = try makeStore(seed: seed, access: AccessPolicy(admins: admins, consoles: consoles))
        // A source and some requests to act on, set up in-process (trusted).
        _ = try store.ok(.sourceCreate(name: "Chat", identifier: "chat"))
        for n in 0..<4 { _ = try store.send("u\(n)", source: .identifier("chat")) }

        for step in 0..<120 {
            var body = Self.bodies[Int(random.next() % UInt64(Self.bodies.count))]
            while let range = body.range(of: "%d") { body.replaceSubrange(range, with: String(random.next() % 5)) }
            let user = users[Int(random.next() % UInt64(users.count))]
            let before = try Self.state(store)
            let rowsBefore = try Self.auditCount(store)
            let outcome = try store.run(body, user: user, messageId: "m-\(step)")
            let after = try Self.state(store)
            let rowCount = try Self.auditCount(store)
            let last = try store.read { try SQLRow.fetchOne($0, sql: "SELECT outcome, \"user\", command FROM audit ORDER BY id DESC LIMIT 1") }
            let name = Command.read(Array(body.utf8)).name ?? ""
            let isChange = CommandName.isChange(named: name)
            let code: String
            switch outcome {
            case .success: code = "ok"
            case let .failure(error): code = error.code.rawValue
            }
            if isChange || code == "forbidden" {
                #expect(rowCount == rowsBefore + 1, "step \(step): \(body) by \(user ?? "-") → \(code)")
                let (outcome, auditedUser, command): (String?, String?, String?) = (last?[0], last.flatMap { $0[1] }, last?[2])
                #expect(outcome == code && auditedUser == user && command == name, "step \(step)")
            } else {
                #expect(rowCount == rowsBefore, "step \(step): a read left a row")
            }
            if code != "ok" { #expect(before == after, "step \(step): \(body) by \(user ?? "-") failed with \(code) but changed state") }
            if user.map({ !admins.contains($0) && !consoles.contains($0) }) ?? true, !(admins.isEmpty && consoles.isEmpty) {
                #expect(code == "forbidden", "step \(step): \(user ?? "-") is in no role")
            }
        }
        try store.checkInvariants()
    }
}
