import BrokerTestSupport
import Foundation
import SwitchboardCore
@testable import SwitchboardReplay
@testable import SwitchboardStore
import Testing

/// The floor as it was: a replay starts from the settings of the window's start, read back
/// from the settings record, and changes them at the times they changed.
@Suite struct ReplaySettingsTests {
    /// The fidelity day, with six operators' limits lowered from 3 to 1 after 100 minutes and
    /// the chat line's weights turned towards the other six after 120.
    static func livedDay() throws -> (store: SwitchboardStore, day: ScriptedDay) {
        let clock = Clock()
        let store = try makeStore(seed: ReplayFidelityTests.seed, clock: clock)
        try store.ok(.sourceCreate(name: "Chat", identifier: "chat"))
        try store.ok(.sourceCreate(name: "Email", identifier: "email"))
        let operators = try (1...12).map { try store.createOperator("op\($0)", limit: 3) }
        try store.ok(.sourceSetWeights(sourceId: 1, weights: operators.map { Weight(operatorId: $0, weight: Int($0 % 5) * 20 + 10) }))
        try store.ok(.sourceSetWeights(sourceId: 2, weights: operators.prefix(8).map { Weight(operatorId: $0, weight: 50) }))
        var day = ScriptedDay.steady(start: clock.milliseconds + 60_000, count: 1_500, gapSeconds: 6, longestSeconds: 360,
                                     sources: [1, 1, 2], seed: 7)
        for op in Int64(1)...6 {
            day.commands.append((day.start + 100 * 60_000, .operatorUpdate(id: op, name: nil, maxLoadLimit: 1, isActive: nil)))
        }
        day.commands.append((day.start + 120 * 60_000, .sourceSetWeights(sourceId: 1, weights: operators.map {
            Weight(operatorId: $0, weight: $0 > 6 ? 90 : 10)
        })))
        try day.play(on: store, clock: clock)
        return (store, day)
    }

    static func sameOperatorShare(_ day: RecordedDay, _ assignments: [Int64: Int64]) -> Double {
        let recorded = day.arrivals.compactMap { a in a.operatorId.map { (a.requestId, $0) } }
        return Double(recorded.filter { assignments[$0.0] == $0.1 }.count) / Double(recorded.count)
    }

    @Test func aReplayStartsFromTheWindowsSettingsAndChangesThemWhenTheyChanged() throws {
        let (store, lived) = try Self.livedDay()
        let since = Timestamp(milliseconds: lived.start), until = Timestamp(milliseconds: lived.end)
        let day = try store.recordedDay(since: since, until: until)
        #expect(day.operators.allSatisfy { $0.maxLoadLimit == 3 }, "as they stood at the start")
        #expect(day.settingChanges.count == 7)
        #expect(day.sources.first { $0.id == 1 }?.weights.first { $0.operatorId == 12 }?.weight == 50, "weights as they stood")

        let (outcome, assignments) = try Replay.single(day, changes: ReplayChanges(), seed: ReplayFidelityTests.seed)
        let share = Self.sameOperatorShare(day, assignments)
        guard case let .serviceLevel(recorded) = try store.ok(.statsServiceLevel(ServiceLevelQuery(since: since, until: until))) else {
            throw TestFailure("no service level")
        }
        let (was, now) = (recorded.overall.timeToAssignSeconds, outcome.serviceLevel.overall.timeToAssignSeconds)
        print("replay with settings changed in the window: \(String(format: "%.1f", share * 100))% to the same operator; "
              + "p90 recorded \(was.p90 ?? 0) s, replayed \(now.p90 ?? 0) s; p99 \(was.p99 ?? 0) s, \(now.p99 ?? 0) s")
        #expect(share >= 0.95)
        for (a, b) in [(was.p90, now.p90), (was.p99, now.p99)] {
            #expect(abs((b ?? 0) - (a ?? 0)) <= max(0.1, 0.1 * (a ?? 0)))
        }

        // The floor as it stands now, from the start and unchanged: the day it tells is another.
        var asItStandsNow = day
        asItStandsNow.operators = try ReplayFloor.operators(store)
        asItStandsNow.sources = try [Int64(1), 2].compactMap { id -> Source? in
            guard case let .source(source) = try store.ok(.sourceGet(id: id)) else { return nil }
            return source
        }
        asItStandsNow.settingChanges = []
        let (_, otherwise) = try Replay.single(asItStandsNow, changes: ReplayChanges(), seed: ReplayFidelityTests.seed)
        let otherShare = Self.sameOperatorShare(day, otherwise)
        print("replay from the settings as they stand now: \(String(format: "%.1f", otherShare * 100))% to the same operator")
        #expect(otherShare < share - 0.2)
    }

    @Test func aProposedChangeHoldsOverRecordedChangesOfTheSameSetting() throws {
        let (store, lived) = try Self.livedDay()
        let day = try store.recordedDay(since: Timestamp(milliseconds: lived.start), until: Timestamp(milliseconds: lived.end))
        let changes = try ReplayChanges.parse(["operators": ["1": ["max_load_limit": 6]]], operators: Set(1...12), sources: [1, 2]).get()
        let floor = ReplayFloorProbe(day, changes: changes)
        let lowering = try #require(day.settingChanges.first { if case .operator(_, let after) = $0.subject { after.id == 1 } else { false } })
        let commands = try floor.commands(for: lowering)
        guard case let .operatorUpdate(_, _, limit, _, _)? = commands.first else { throw TestFailure("not an update: \(commands)") }
        #expect(limit == 6, "the proposal's limit, not the recorded 1")
    }
}

/// A floor built in a scratch store of its own, to look at the commands it makes.
private struct ReplayFloorProbe {
    let floor: ReplayFloor
    let changes: ReplayChanges

    init(_ day: RecordedDay, changes: ReplayChanges) {
        // A scratch file, as the replay's own, whichever store the suite tests.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString).sqlite").path
        let store = try! SwitchboardStore(location: .file(path: path), random: SplitMix64(seed: 1), now: { day.since },
                                          makeEventId: nil, awayAfterMissed: 3, scratch: true)
        floor = try! ReplayFloor.build(day, changes: changes, in: store)
        self.changes = changes
    }

    func commands(for change: SettingChange) throws -> [Command] { try floor.commands(for: change, changes: changes) }
}
