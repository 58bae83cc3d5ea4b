import Foundation
import SwitchboardCore
@testable import SwitchboardStore
import Testing

/// The presence record the what-if replay reads: one row per change, with its reason and the
/// writer's time, kept as long as the audit trail.
@Suite struct PresenceRecordTests {
    static let always = Timestamp(milliseconds: 0)
    static let ever = Timestamp(milliseconds: Int64.max)

    @Test func everyChangeOfPresenceIsRecordedWithItsReasonAndTheWritersTime() throws {
        let clock = Clock()
        let store = try makeStore(clock: clock)
        let ann = try store.createOperator("Ann", limit: 3)
        guard case let .operator(bob) = try store.ok(.operatorCreate(name: "Bob", maxLoadLimit: 3, isActive: true, presence: .away)) else {
            throw TestFailure("not an operator")
        }
        try store.ok(.operatorSetPresence(id: ann, presence: .away, requeue: false))
        try store.ok(.operatorSetPresence(id: ann, presence: .away, requeue: false))  // no change: no row
        try store.ok(.operatorSetPresence(id: ann, presence: .available, requeue: false))
        try store.ok(.operatorSetPresence(id: ann, presence: .offline, requeue: true))
        try store.ok(.operatorSetPresence(id: bob.id, presence: .available, requeue: true))  // requeue means nothing unless offline

        let changes = try store.presenceChanges(since: Self.always, until: Self.ever)
        let seen = changes.map { "\($0.operatorId) \($0.previous?.rawValue ?? "-")→\($0.presence.rawValue) \($0.reason.rawValue)" }
        #expect(seen == [
            "\(ann) -→available created", "\(bob.id) -→away created", "\(ann) available→away command",
            "\(ann) away→available command", "\(ann) available→offline requeue", "\(bob.id) away→available command",
        ])
        #expect(zip(changes, changes.dropFirst()).allSatisfy { $0.at < $1.at }, "each at the writer's time, in order")
        let window = try store.presenceChanges(since: changes[2].at, until: changes[4].at)
        #expect(window == Array(changes[2..<4]), "a window is from its start, inclusive, to its end, exclusive")
    }

    @Test func missedOffersSettingAnOperatorAwayAreRecordedAsSuch() throws {
        let world = try OfferWorld(operators: 1)
        for index in 0..<3 {
            _ = try world.intake("r\(index)")
            _ = try world.pass(seconds: 31)
        }
        let last = try #require(try world.store.presenceChanges(since: Self.always, until: Self.ever).last)
        #expect(last.operatorId == world.operators[0] && last.presence == .away && last.previous == .available && last.reason == .missedOffers)
    }

    @Test func theRecordIsForgottenOldestFirstWithTheAuditTrailsSetting() throws {
        let clock = Clock()
        let store = try makeStore(clock: clock)
        let ann = try store.createOperator("Ann", limit: 3)
        clock.advance(seconds: 3_600)
        try store.ok(.operatorSetPresence(id: ann, presence: .away, requeue: false))
        clock.advance(seconds: 1_800)
        #expect(try store.forgetPresenceChanges(olderThan: .seconds(3_600), limit: 256) == 1, "only the creation is over an hour old")
        let kept = try store.presenceChanges(since: Self.always, until: Self.ever)
        #expect(kept.map(\.reason) == [.command])
        #expect(try store.forgetPresenceChanges(olderThan: .seconds(3_600), limit: 256) == 0)
    }
}
