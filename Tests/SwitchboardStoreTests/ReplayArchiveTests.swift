import BrokerTestSupport
import Foundation
import SwitchboardCore
@testable import SwitchboardReplay
@testable import SwitchboardStore
import Testing

/// A window whose requests retention purged is read back from the archive: the replay is
/// the same whether they are in the database, in the archive, or some in each.
@Suite struct ReplayArchiveTests {
    static func report(_ store: SwitchboardStore, _ lived: ScriptedDay) throws -> Data {
        let day = try store.recordedDay(since: Timestamp(milliseconds: lived.start), until: Timestamp(milliseconds: lived.end))
        let changes = try ReplayChanges.parse(["operators": ["1": ["max_load_limit": 4]]], operators: Set(1...10), sources: [1]).get()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(Replay.run(day, changes: changes, seed: 4))
    }

    @Test func aPurgedWindowReplaysByteForByteAsBeforeItsPurge() throws {
        let (store, lived) = try ReplayOfferFidelityTests.livedDay(count: 900)
        let whole = try Self.report(store, lived)
        let recorded = try store.recordedDay(since: Timestamp(milliseconds: lived.start), until: Timestamp(milliseconds: lived.end))

        let middle = Timestamp(milliseconds: lived.start + (lived.end - lived.start) / 3)
        guard case let .purge(half) = try store.ok(.requestPurge(closedBefore: middle, dryRun: false)) else { throw TestFailure("no purge") }
        #expect(half.purged > 100 && half.remaining == 0)
        #expect(try Self.report(store, lived) == whole, "some purged, some stored")

        guard case let .purge(rest) = try store.ok(.requestPurge(closedBefore: Timestamp(milliseconds: lived.end + 86_400_000), dryRun: false))
        else { throw TestFailure("no purge") }
        #expect(half.purged + rest.purged == 900, "every request of the day is in the archive now")
        let fromTheArchive = try store.recordedDay(since: Timestamp(milliseconds: lived.start), until: Timestamp(milliseconds: lived.end))
        #expect(fromTheArchive.arrivals == recorded.arrivals && fromTheArchive.offerAnswers == recorded.offerAnswers)
        #expect(try Self.report(store, lived) == whole, "all purged")
    }

    @Test func aReplayLeavesTheArchiveByteForByteAsItWas() throws {
        let (store, lived) = try ReplayFidelityTests.livedDay(count: 300)
        _ = try store.ok(.requestPurge(closedBefore: Timestamp(milliseconds: lived.end + 86_400_000), dryRun: false))
        let directory = store.archive.directory
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let before = names.map { FileManager.default.contents(atPath: directory + "/" + $0) }
        #expect(!names.isEmpty)
        let day = try store.recordedDay(since: Timestamp(milliseconds: lived.start), until: Timestamp(milliseconds: lived.end))
        #expect(day.arrivals.count == 300)
        _ = try Replay.run(day, changes: ReplayChanges(), seed: 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == names)
        #expect(names.map { FileManager.default.contents(atPath: directory + "/" + $0) } == before)
    }
}
