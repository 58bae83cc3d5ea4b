import BrokerTestSupport
import Foundation
import SwitchboardCore
@testable import SwitchboardReplay
@testable import SwitchboardStore
import Testing

/// The what-if replay against the day it replays: with no changes and the service's seed it
/// must tell the day as it went, or its answers to "what if" mean nothing.
@Suite struct ReplayFidelityTests {
    static let seed: UInt64 = 20_261_207

    /// Twelve operators of three slots on two sources; `count` requests 6 s apart on average
    /// (2,000: about three and a half hours) at nine tenths of the floor's capacity, two
    /// operators away for half an hour each. Kept to a few thousand: the suite runs beside
    /// the service tests' deadlines on two cores.
    static func livedDay(count: Int = 2_000) throws -> (store: SwitchboardStore, day: ScriptedDay) {
        let clock = Clock()
        let store = try makeStore(seed: seed, clock: clock)
        try store.ok(.sourceCreate(name: "Chat", identifier: "chat"))
        try store.ok(.sourceCreate(name: "Email", identifier: "email"))
        let operators = try (1...12).map { try store.createOperator("op\($0)", limit: 3) }
        try store.ok(.sourceSetWeights(sourceId: 1, weights: operators.map { Weight(operatorId: $0, weight: Int($0 % 5) * 20 + 10) }))
        try store.ok(.sourceSetWeights(sourceId: 2, weights: operators.prefix(8).map { Weight(operatorId: $0, weight: 50) }))
        var day = ScriptedDay.steady(start: clock.milliseconds + 60_000, count: count, gapSeconds: 6, longestSeconds: 360,
                                     sources: [1, 1, 2], seed: 7)
        for (op, from) in [(Int64(3), Int64(40)), (7, 150)] {
            day.presence.append(.init(at: day.start + from * 60_000, operatorId: op, presence: .away))
            day.presence.append(.init(at: day.start + (from + 30) * 60_000, operatorId: op, presence: .available))
        }
        try day.play(on: store, clock: clock)
        return (store, day)
    }

    @Test func replayedUnchangedWithTheSeedTheDayGoesAsItWent() throws {
        let (store, lived) = try Self.livedDay()
        let since = Timestamp(milliseconds: lived.start), until = Timestamp(milliseconds: lived.end)
        let day = try store.recordedDay(since: since, until: until)
        #expect(day.arrivals.count == 2_000 && day.presenceChanges.count == 4)
        let started = ContinuousClock.now
        let (outcome, assignments) = try Replay.single(day, changes: ReplayChanges(), seed: Self.seed)
        print("replay fidelity: 2,000 requests replayed in \(ContinuousClock.now - started)")

        let recordedOperators = Dictionary(uniqueKeysWithValues: day.arrivals.compactMap { a in a.operatorId.map { (a.requestId, $0) } })
        let same = recordedOperators.filter { assignments[$0.key] == $0.value }.count
        let share = Double(same) / Double(recordedOperators.count)
        print("replay fidelity: \(same) of \(recordedOperators.count) requests to the same operator (\(String(format: "%.1f", share * 100))%)")
        #expect(share >= 0.95)

        guard case let .serviceLevel(recorded) = try store.ok(.statsServiceLevel(ServiceLevelQuery(since: since, until: until))) else {
            throw TestFailure("no service level")
        }
        let (was, now) = (recorded.overall.timeToAssignSeconds, outcome.serviceLevel.overall.timeToAssignSeconds)
        for (name, a, b) in [("p50", was.p50, now.p50), ("p90", was.p90, now.p90), ("p99", was.p99, now.p99)] {
            let (recordedValue, replayed) = (a ?? 0, b ?? 0)
            print("replay fidelity: time to assign \(name) recorded \(recordedValue) s, replayed \(replayed) s")
            #expect(abs(replayed - recordedValue) <= max(0.1, 0.1 * recordedValue), "\(name)")
        }
        #expect(recorded.overall.timeToAssignSeconds.p90 ?? 0 > 1, "the day had a line to replay, not only idle operators")
        #expect(outcome.serviceLevel.overall.requests == 2_000)
        #expect(outcome.utilisation.count == 12 && outcome.utilisation.allSatisfy { (0...1).contains($0.share) })
        #expect(outcome.waitingLine.contains { $0.waiting > 0 })
    }

    @Test func theSameSeedGivesByteIdenticalReportsAndAnotherSeedAnother() throws {
        let (store, lived) = try Self.livedDay(count: 400)
        let since = Timestamp(milliseconds: lived.start), until = Timestamp(milliseconds: lived.end)
        let changes = try ReplayChanges.parse(["operators": ["1": ["max_load_limit": 5]]], operators: Set(1...12), sources: [1, 2]).get()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let first = try encoder.encode(Replay.run(try store.recordedDay(since: since, until: until), changes: changes, seed: 9))
        let second = try encoder.encode(Replay.run(try store.recordedDay(since: since, until: until), changes: changes, seed: 9))
        #expect(first == second)
        let other = try encoder.encode(Replay.run(try store.recordedDay(since: since, until: until), changes: changes, seed: 10))
        #expect(first != other, "another seed draws otherwise")
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "a file to compare")) func aReplayLeavesTheDatabaseFileByteForByteAsItWas() throws {
        let (store, lived) = try Self.livedDay(count: 300)
        guard case let .file(path) = store.location else { throw TestFailure("not a file") }
        try store.checkpoint()
        let files = [path, path + "-wal", path + "-shm"]
        let before = files.map { FileManager.default.contents(atPath: $0) }
        let day = try store.recordedDay(since: Timestamp(milliseconds: lived.start), until: Timestamp(milliseconds: lived.end))
        _ = try Replay.run(day, changes: ReplayChanges(), seed: 1)
        #expect(files.map { FileManager.default.contents(atPath: $0) }.prefix(2) == before.prefix(2))
    }
}
