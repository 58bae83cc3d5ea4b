import BrokerTestSupport
import Foundation
import GRDB
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// A store on a fresh database, with a fixed random seed and a clock that ticks 1 ms per
/// reading, so every run is reproducible. `path` reopens one made before (a file path, or
/// under PostgreSQL a database URL).
func makeStore(seed: UInt64 = 1, path: String? = nil, clock: Clock = Clock(), awayAfterMissed: Int = 3,
               access: AccessPolicy = .open) throws -> SwitchboardStore {
    let database = path ?? temporaryDatabasePath()
    func open() throws -> SwitchboardStore {
        try SwitchboardStore(location: StoreLocation(database), random: SplitMix64(seed: seed), now: { clock.tick() },
                             awayAfterMissed: awayAfterMissed, access: access, archiveDirectory: TestDatabase.archiveDirectory(for: database))
    }
    // Reopening a SQLite file this process just closed: a child another test spawns in that
    // instant (posix_spawn, before its exec closes the descriptors) still shares the lock's
    // open file for a moment, and the kernel keeps the flock until it lets go. (PostgreSQL's
    // lock is a session's, and its refusals are what the writer-lock tests are about.)
    guard TestDatabase.isSQLite else { return try open() }
    var store: SwitchboardStore?
    _ = try? eventually(within: .seconds(5), every: .milliseconds(10), "the database's lock released by this process") { seen -> Bool? in
        do {
            store = try open()
            return true
        } catch let error as StoreError where error == .databaseInUse(path: database, holderPID: getpid()) {
            seen = "\(error)"
            return nil
        }
    }
    return try store ?? open()
}

/// A fresh SQLite file's path, or under PostgreSQL a fresh database's URL.
func temporaryDatabasePath() -> String { TestDatabase.fresh("store") }

extension SwitchboardStore {
    /// The SQLite pool under the store, for tests of what only SQLite has.
    var pool: DatabasePool { (backend as! SQLiteBackend).pool }

    /// Reads through GRDB itself (query plans, its migrator's record).
    func readSQLite<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }
}

final class Clock: @unchecked Sendable {
    private var ms: Int64 = 1_795_600_000_000
    func tick() -> Timestamp {
        ms += 1
        return Timestamp(milliseconds: ms)
    }

    /// Moves time on, as if the service had been idle (offer deadlines pass).
    func advance(seconds: Int) { ms += Int64(seconds) * 1000 }

    /// Moves time on to `time`, if it is later (a scripted day's next happening).
    func move(to time: Int64) { ms = max(ms, time) }

    var milliseconds: Int64 { ms }
}

extension SwitchboardStore {
    /// Runs a command that must succeed.
    @discardableResult
    func ok(_ command: Command) throws -> CommandResult {
        let (result, _) = try execute(command)
        return try result.get()
    }

    func failure(_ command: Command) throws -> CommandError? {
        let (result, events) = try execute(command)
        guard case let .failure(error) = result else { return nil }
        #expect(events.isEmpty, "a failed command wrote events")
        return error
    }

    @discardableResult
    func createOperator(_ name: String, limit: Int, active: Bool = true) throws -> Int64 {
        guard case let .operator(created) = try ok(.operatorCreate(name: name, maxLoadLimit: limit, isActive: active)) else {
            throw TestFailure("not an operator")
        }
        return created.id
    }

    @discardableResult
    func createSource(_ identifier: String) throws -> Int64 {
        guard case let .source(created) = try ok(.sourceCreate(name: identifier.capitalized, identifier: identifier)) else {
            throw TestFailure("not a source")
        }
        return created.id
    }

    func operatorNow(_ id: Int64) throws -> Operator {
        guard case let .operator(found) = try ok(.operatorGet(id: id)) else { throw TestFailure("not an operator") }
        return found
    }

    func requestNow(_ id: Int64) throws -> Request {
        guard case let .requestDetail(detail) = try ok(.requestGet(id: id)) else { throw TestFailure("not a request") }
        return detail.request
    }

    @discardableResult
    func send(_ user: String, source: SourceReference, _ text: String = "help", messageId: String? = nil) throws -> IntakeOutcome {
        try intake(IntakeMessage(userIdentifier: user, source: source, message: text), messageId: messageId).0
    }

    /// Every row of every table, as text: equal snapshots mean nothing changed.
    func snapshot(excludingOutbox: Bool = false) throws -> String {
        try read { db in
            var out = ""
            let tables = ["operators", "sources", "weights", "users", "requests", "processed_messages"] + (excludingOutbox ? [] : ["outbox"])
            for table in tables {
                out += "# \(table)\n"
                for row in try SQLRow.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2") { out += "\(row)\n" }
            }
            return out
        }
    }

    /// Each operator's load and limit, by id.
    func loads() throws -> [Int64: (load: Int, limit: Int)] {
        try read { db in
            var loads: [Int64: (load: Int, limit: Int)] = [:]
            for row in try SQLRow.fetchAll(db, sql: "SELECT id, current_load, max_load_limit FROM operators") {
                loads[row[0]] = (row[1], row[2])
            }
            return loads
        }
    }

    /// The invariants that hold after any sequence of units of work. `limitsLowered`: the
    /// steps may set a limit below the load, which leaves the operator over it until it closes
    /// enough (the caller checks that nothing new went to it meanwhile).
    func checkInvariants(limitsLowered: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try routingTableMatchesDatabase(), "the writer's routing table drifted from the database", sourceLocation: sourceLocation)
        try read { db in
            let mismatched = try SQLRow.fetchAll(db, sql: """
                SELECT o.id, o.current_load, o.max_load_limit,
                       (SELECT COUNT(*) FROM requests r WHERE r.operator_id = o.id
                            AND (r.status IN ('assigned', 'offered') OR r.wrap_up_due IS NOT NULL)) AS held,
                       o.request_count,
                       (SELECT COUNT(*) FROM requests r WHERE r.operator_id = o.id AND r.status IN ('assigned', 'closed')) AS counted
                FROM operators o
                """)
            for row in mismatched {
                let (load, limit, held): (Int, Int, Int) = (row[1], row[2], row[3])
                #expect(load == held, "operator \(row[0] as Int64): load \(load) but \(held) assigned, offered or in wrap-up", sourceLocation: sourceLocation)
                if !limitsLowered {
                    #expect(load <= limit, "operator \(row[0] as Int64): load \(load) over limit \(limit)", sourceLocation: sourceLocation)
                }
                #expect(row[4] as Int == row[5] as Int, "operator request_count drifted", sourceLocation: sourceLocation)
            }
            // A waiting request never has an eligible operator: the line drains at once. (One
            // that every eligible operator declined waits for the next change that frees room.)
            // Requirements and channel capacities have their law in CompetencyProperties.
            let stuck = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM requests r WHERE r.status = 'waiting' AND r.offer_round = 0 AND r.requires IS NULL AND EXISTS (
                    SELECT 1 FROM weights w JOIN operators o ON o.id = w.operator_id
                    WHERE w.source_id = r.source_id AND o.is_active AND o.presence = 'available'
                      AND o.current_load < o.max_load_limit AND o.capacity IS NULL)
                """) ?? -1
            #expect(stuck == 0, "\(stuck) waiting request(s) could have been assigned", sourceLocation: sourceLocation)
            let inconsistent = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM requests WHERE
                    (status = 'waiting' AND (operator_id IS NOT NULL OR assigned_at IS NOT NULL))
                    OR (status = 'assigned' AND (operator_id IS NULL OR assigned_at IS NULL))
                    OR (status = 'closed' AND closed_at IS NULL)
                    OR (status = 'offered' AND (operator_id IS NULL OR offer_expires_at IS NULL OR assigned_at IS NOT NULL))
                    OR (status != 'offered' AND offer_expires_at IS NOT NULL)
                    OR (wrap_up_due IS NOT NULL AND (status != 'closed' OR operator_id IS NULL OR wrap_up_due != wrap_up_until))
                """) ?? -1
            #expect(inconsistent == 0, "requests whose fields contradict their status", sourceLocation: sourceLocation)
            // An outstanding offer row exactly for each offered request, to its operator.
            let matched = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM requests r JOIN offers o ON o.request_id = r.id AND o.round = r.offer_round
                    AND o.operator_id = r.operator_id AND o.outcome IS NULL
                WHERE r.status = 'offered'
                """) ?? -1
            let outstanding = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM offers WHERE outcome IS NULL") ?? -1
            let offered = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE status = 'offered'") ?? -1
            #expect(matched == offered && outstanding == offered, "outstanding offers \(outstanding), offered requests \(offered)",
                    sourceLocation: sourceLocation)
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
