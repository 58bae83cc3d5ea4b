import BrokerTestSupport
import Foundation
import GRDB
import SwitchboardCore
import Testing
@testable import SwitchboardStore

/// Closed requests archived, then deleted: the archive holds exactly what was deleted, once,
/// whatever fails in between; open requests stay; stored counts drop and the lifetime total rises.
@Suite struct PurgeTests {
    /// Ann and Bob on one source; `closed` requests closed a day apart in pairs, `open` left
    /// assigned. Returns the store, its clock, and the ids of each kind.
    private func storeWithHistory(closed: Int, open: Int, path: String = temporaryDatabasePath()) throws
        -> (SwitchboardStore, Clock, closed: [Int64], open: [Int64]) {
        let clock = Clock()
        let store = try makeStore(path: path, clock: clock)
        let source = try store.createSource("telegram")
        let ann = try store.createOperator("Ann", limit: 10_000)
        let bob = try store.createOperator("Bob", limit: 10_000)
        try store.ok(.sourceSetWeights(sourceId: source, weights: [Weight(operatorId: ann, weight: 1), Weight(operatorId: bob, weight: 1)]))
        var closedIds: [Int64] = []
        for n in 0..<closed {
            guard case let .assigned(id, _) = try store.send("user\(n % 7)", source: .id(source), "closed \(n)") else {
                throw TestFailure("not assigned")
            }
            try store.ok(.requestClose(id: id))
            closedIds.append(id)
            if n % 2 == 1 { clock.advance(seconds: 86_400) }
        }
        var openIds: [Int64] = []
        for n in 0..<open {
            guard case let .assigned(id, _) = try store.send("open\(n)", source: .id(source), "open \(n)") else { throw TestFailure("not assigned") }
            openIds.append(id)
        }
        return (store, clock, closedIds, openIds)
    }

    private func details(_ ids: [Int64], _ store: SwitchboardStore) throws -> [Int64: RequestDetail] {
        var found: [Int64: RequestDetail] = [:]
        for id in ids {
            guard case let .requestDetail(detail) = try store.ok(.requestGet(id: id)) else { throw TestFailure("not a detail") }
            found[id] = detail
        }
        return found
    }

    private func purge(_ store: SwitchboardStore, before: Timestamp, dryRun: Bool = false) throws -> PurgeSummary {
        guard case let .purge(summary) = try store.ok(.requestPurge(closedBefore: before, dryRun: dryRun)) else {
            throw TestFailure("not a purge summary")
        }
        return summary
    }

    @Test func aPurgeArchivesExactlyWhatItDeletesAndLeavesOpenRequests() throws {
        let (store, clock, closed, open) = try storeWithHistory(closed: 10, open: 3)
        let before = try details(closed + open, store)
        let cutoff = clock.tick()
        let summary = try purge(store, before: cutoff)
        #expect(summary.archived == 10 && summary.purged == 10 && summary.remaining == 0 && !summary.dryRun)
        #expect(summary.files.count == 5, "two requests closed a day, five days: \(summary.files)")

        let archived = try Archive.read(store.archive.directory)
        #expect(archived.map(\.line.detail.request.id).sorted() == closed, "every purged request archived once")
        for (file, line) in archived {
            #expect(line.detail == before[line.detail.request.id], "the archive keeps the request detail as request.get gave it")
            #expect(line.archivedAt >= line.detail.request.closedAt!)
            #expect(ArchiveFiles.fileName(forDay: line.detail.request.closedAt!) == file, "one file per day closed")
        }
        for id in closed { #expect(try store.failure(.requestGet(id: id))?.code == .notFound) }
        for id in open { #expect(try store.requestNow(id).status == .assigned, "open requests are never purged") }
        try store.checkInvariants()
    }

    @Test func statsCountWhatIsStoredAndTheStatusKeepsTheLifetimeTotal() throws {
        let (store, clock, _, open) = try storeWithHistory(closed: 8, open: 4)
        guard case let .distribution(before) = try store.ok(.statsRequestsDistribution),
              case let .operatorsLoad(loadBefore) = try store.ok(.statsOperatorsLoad) else { throw TestFailure("no stats") }
        #expect(before.bySource[0].requestCount == 12)
        _ = try purge(store, before: clock.tick())
        guard case let .distribution(after) = try store.ok(.statsRequestsDistribution),
              case let .operatorsLoad(loadAfter) = try store.ok(.statsOperatorsLoad),
              case let .status(status) = try store.ok(.serviceStatus) else { throw TestFailure("no stats") }
        #expect(after.bySource[0].requestCount == open.count, "the distribution counts stored requests")
        #expect(after.byOperator.map(\.requestCount).reduce(0, +) == open.count)
        #expect(loadAfter == loadBefore, "loads count open requests, which a purge never touches")
        #expect(status.requestsPurged == 8, "stored plus purged is every request taken in")
    }

    @Test func aUserGoesWithTheirLastRequestAndComesBackAsNew() throws {
        let (store, clock, _, _) = try storeWithHistory(closed: 14, open: 0)
        let source = try #require(try store.read { try Int64.fetchOne($0, sql: "SELECT id FROM sources") })
        // user0 gets an open request too: it keeps its row.
        try store.send("user0", source: .id(source), "still open")
        _ = try purge(store, before: clock.tick())
        let users = try store.read { try String.fetchAll($0, sql: "SELECT identifier FROM users ORDER BY identifier") }
        #expect(users == ["user0"])
        // A user purged away is a new user on their next request, with no stale id in the way.
        guard case let .assigned(id, _) = try store.send("user3", source: .id(source)) else { throw TestFailure("not assigned") }
        guard case let .requestDetail(detail) = try store.ok(.requestGet(id: id)) else { throw TestFailure("not a detail") }
        #expect(detail.user.identifier == "user3")
    }

    @Test func aDryRunCountsAndNamesTheFilesAndDeletesNothing() throws {
        let (store, clock, closed, _) = try storeWithHistory(closed: 6, open: 2)
        let snapshot = try store.snapshot(excludingOutbox: true)
        let preview = try purge(store, before: clock.tick(), dryRun: true)
        #expect(preview.dryRun && preview.purged == 6 && preview.remaining == 6)
        #expect(preview.files.count == 3)
        #expect(try store.snapshot(excludingOutbox: true) == snapshot)
        #expect(!FileManager.default.fileExists(atPath: store.archive.directory), "no archive written")
        let done = try purge(store, before: clock.tick())
        #expect(done.files == preview.files && done.purged == closed.count)
    }

    @Test func aCutoffTakesOnlyRequestsClosedBeforeIt() throws {
        let (store, _, closed, _) = try storeWithHistory(closed: 6, open: 0)
        let third = try store.requestNow(closed[4]).closedAt!
        let summary = try purge(store, before: third)
        #expect(summary.purged == 4)
        #expect(try Archive.read(store.archive.directory).map(\.line.detail.request.id).sorted() == Array(closed[..<4]))
        #expect(try store.requestNow(closed[4]).status == .closed)
    }

    @Test func aPurgeThatNeverCommitsLeavesNoLineBehindAndTheNextArchivesOnce() throws {
        struct Crash: Error {}
        // The archive is written and fsynced, then the transaction fails before its commit, as
        // in a kill -9 between the two; the store is gone when this returns.
        func crashMidPurge() throws -> (path: String, directory: String, clock: Clock, cutoff: Timestamp, closed: [Int64]) {
            let path = temporaryDatabasePath()
            let (store, clock, closed, _) = try storeWithHistory(closed: 6, open: 1, path: path)
            let cutoff = clock.tick()
            #expect(throws: Crash.self) {
                try store.writeForTest { db in
                    _ = try store.purgeClosed(before: cutoff, limit: 100, db)
                    throw Crash()
                }
            }
            #expect(try Archive.lineCount(store.archive.directory) == 6, "the lines are on disk past the committed length")
            return (path, store.archive.directory, clock, cutoff, closed)
        }
        let crashed = try crashMidPurge()
        // A new store cuts the files back on open: nothing archived that was not deleted.
        let reopened = try makeStore(path: crashed.path, clock: crashed.clock)
        #expect(try Archive.lineCount(crashed.directory) == 0)
        #expect(try reopened.requestNow(crashed.closed[0]).status == .closed, "nothing was deleted")
        _ = try purge(reopened, before: crashed.cutoff)
        #expect(try Archive.read(crashed.directory).map(\.line.detail.request.id).sorted() == crashed.closed, "each once")
    }

    @Test func theArchiveIsPrivate() throws {
        let (store, clock, _, _) = try storeWithHistory(closed: 2, open: 0)
        _ = try purge(store, before: clock.tick())
        let directory = store.archive.directory
        #expect(try ArchiveReader.mode(directory) == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            #expect(try ArchiveReader.mode(directory + "/" + name) == 0o600, "\(name)")
            #expect(name.hasPrefix("requests-") && name.hasSuffix(".ndjson.gz"))
        }
    }

    @Test func aPurgeRepeatedWithItsMessageIdAnswersAsTheFirstTime() throws {
        let (store, clock, _, _) = try storeWithHistory(closed: 4, open: 0)
        let command = Command.requestPurge(closedBefore: clock.tick(), dryRun: false)
        let first = try store.apply([.command(command, messageId: "purge-1")]).results[0]
        let again = try store.apply([.command(command, messageId: "purge-1")]).results[0]
        guard case let .command(.success(.purge(summary))) = first, case let .repeatedCommand(reply) = again else {
            throw TestFailure("\(first) then \(again)")
        }
        #expect(summary.purged == 4)
        #expect(String(decoding: reply, as: UTF8.self).contains(#""purged":4"#))
        #expect(try Archive.lineCount(store.archive.directory) == 4)
    }

    /// A standby on another machine with a folder of its own finds files shorter than the
    /// database committed: it deletes nothing rather than leave a hole in the archive.
    @Test func anArchiveFolderThatIsNotTheDatabasesOwnDeletesNothing() throws {
        let (store, clock, closed, _) = try storeWithHistory(closed: 2, open: 0)
        _ = try purge(store, before: try store.requestNow(closed[1]).closedAt!)
        let file = store.archive.directory + "/" + ArchiveFiles.fileName(forDay: try store.requestNow(closed[1]).closedAt!)
        try FileManager.default.removeItem(atPath: file)
        do {
            _ = try purge(store, before: clock.tick())
            Issue.record("the purge wrote past a hole in the archive")
        } catch let error as ArchiveError {
            #expect(error.description.contains("SWITCHBOARD_ARCHIVE_DIR") && SwitchboardStore.isUnavailable(error), "\(error)")
        }
        #expect(try store.requestNow(closed[1]).status == .closed, "nothing deleted")
    }

    @Test func aPurgeTakesAtMostABatchAndSaysHowManyRemain() throws {
        let (store, clock, _, _) = try storeWithHistory(closed: 3, open: 0)
        let purged = try store.purgeClosed(olderThan: .seconds(0), limit: 2)
        #expect(purged.purged == 2)
        let rest = try purge(store, before: clock.tick())
        #expect(rest.purged == 1 && rest.remaining == 0)
    }
}

/// The archive decoded: every line with its file's name.
enum Archive {
    static func read(_ directory: String) throws -> [(file: String, line: ArchivedRequest)] {
        try ArchiveReader.lines(in: directory).map { ($0.file, try JSONDecoder().decode(ArchivedRequest.self, from: Data($0.text.utf8))) }
    }

    static func lineCount(_ directory: String) throws -> Int { try ArchiveReader.lines(in: directory).count }
}

extension SwitchboardStore {
    /// A write transaction for a test that must fail in the middle of one.
    func writeForTest<T>(_ body: (any SQLDatabase) throws -> T) throws -> T { try transaction(body) }
}

/// SWITCHBOARD_RETAIN_AUDIT: audit rows older than the setting go, oldest first, in rounds.
@Suite struct AuditRetentionTests {
    @Test func auditRowsOlderThanTheSettingGoOldestFirstAndNewerOnesStay() throws {
        let clock = Clock()
        let store = try makeStore(clock: clock)
        for n in 0..<5 { try store.createOperator("old-\(n)", limit: 1) }
        clock.advance(seconds: 7_200)
        try store.createOperator("new", limit: 1)
        #expect(try store.forgetAuditRows(olderThan: .seconds(3_600), limit: 3) == 3)
        #expect(try store.forgetAuditRows(olderThan: .seconds(3_600), limit: 3) == 2)
        #expect(try store.forgetAuditRows(olderThan: .seconds(3_600), limit: 3) == 0)
        let kept = try store.read { try Int64.fetchAll($0, sql: "SELECT id FROM audit") }
        #expect(kept == [6], "the newest row, written after the clock moved on, stays")
    }
}

@Suite struct ArchiveFailureTests {
    /// An archive that cannot be written deletes nothing, and the writer is told to hold and
    /// try again (as for a full disk), not to fail the batch.
    @Test func anArchiveThatCannotBeWrittenDeletesNothingAndIsHeldNotFailed() throws {
        let clock = Clock()
        let folder = ScratchFolder.make("archive-blocked")
        let blocker = folder.appendingPathComponent("a-file").path
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        let location = StoreLocation(TestDatabase.isPostgres ? temporaryDatabasePath() : folder.appendingPathComponent("db.sqlite").path)
        let store = try SwitchboardStore(location: location, now: { clock.tick() }, archiveDirectory: blocker + "/archive")
        let source = try store.createSource("telegram")
        let ann = try store.createOperator("Ann", limit: 10)
        try store.ok(.sourceSetWeights(sourceId: source, weights: [Weight(operatorId: ann, weight: 1)]))
        guard case let .assigned(id, _) = try store.send("u1", source: .id(source)) else { throw TestFailure("not assigned") }
        try store.ok(.requestClose(id: id))
        do {
            _ = try store.execute(.requestPurge(closedBefore: clock.tick(), dryRun: false))
            Issue.record("the purge went through without its archive")
        } catch {
            #expect(error is ArchiveError && SwitchboardStore.isUnavailable(error), "\(error)")
        }
        #expect(try store.requestNow(id).status == .closed, "nothing deleted")
    }
}
