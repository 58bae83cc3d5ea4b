import BrokerTestSupport
import Foundation
import SwitchboardCore
@testable import SwitchboardStore
import Testing

/// The settings record the what-if replay reads: a row for each command that changed an
/// operator's or a source's settings, the whole before and after; none for a refused one or
/// one that changed nothing; forgotten with the presence record.
@Suite struct SettingsRecordTests {
    static let always = Timestamp(milliseconds: 0)

    @Test func eachChangeOfSettingsIsRecordedWholeBeforeAndAfter() throws {
        let clock = Clock()
        let store = try makeStore(clock: clock)
        let source = try store.createSource("chat")
        let ann = try store.createOperator("Ann", limit: 3)
        try store.ok(.operatorUpdate(id: ann, name: nil, maxLoadLimit: 5, isActive: nil, settings: OperatorSettings(skills: ["billing": 2])))
        try store.ok(.sourceSetWeights(sourceId: source, weights: [Weight(operatorId: ann, weight: 40)]))
        try store.ok(.sourceUpdate(id: source, name: nil, settings: SourceSettings(maxWaitSeconds: 120)))
        // Refused, and changing nothing: neither is a change of settings.
        let (refused, _) = try store.execute(.sourceSetWeights(sourceId: source, weights: [Weight(operatorId: 99, weight: 10)]))
        #expect(throws: CommandError.self) { try refused.get() }
        try store.ok(.operatorUpdate(id: ann, name: nil, maxLoadLimit: 5, isActive: nil))
        try store.ok(.operatorSetPresence(id: ann, presence: .away, requeue: false))

        let changes = try store.read { try SwitchboardStore.settingChanges(since: Self.always, $0) }
        #expect(changes.count == 3)
        guard changes.count == 3, case let .operator(before, after) = changes[0].subject, case let .source(_, weighted) = changes[1].subject,
              case let .source(unhurried, hurried) = changes[2].subject else { throw TestFailure("\(changes)") }
        #expect(before.maxLoadLimit == 3 && before.skills.isEmpty && after.maxLoadLimit == 5 && after.skills == ["billing": 2])
        #expect(weighted.weights.map(\.weight) == [40])
        #expect(unhurried.maxWaitSeconds == 0 && hurried.maxWaitSeconds == 120 && hurried.weights.map(\.weight) == [40])
        #expect(changes.map(\.at) == changes.map(\.at).sorted())
    }

    @Test func theSettingsRecordIsForgottenWithThePresenceRecord() throws {
        let clock = Clock()
        let store = try makeStore(clock: clock)
        let ann = try store.createOperator("Ann", limit: 3)
        try store.ok(.operatorUpdate(id: ann, name: nil, maxLoadLimit: 4, isActive: nil))
        clock.advance(seconds: 3_600)
        try store.ok(.operatorUpdate(id: ann, name: nil, maxLoadLimit: 5, isActive: nil))
        clock.advance(seconds: 1_800)
        _ = try store.forgetPresenceChanges(olderThan: .seconds(3_600), limit: 256)
        let kept = try store.read { try SwitchboardStore.settingChanges(since: Self.always, $0) }
        guard kept.count == 1, case let .operator(before, after) = kept[0].subject else { throw TestFailure("\(kept)") }
        #expect(before.maxLoadLimit == 4 && after.maxLoadLimit == 5, "the change of an hour ago stays")
    }
}
