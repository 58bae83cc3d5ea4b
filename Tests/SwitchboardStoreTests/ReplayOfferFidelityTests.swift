import BrokerTestSupport
import Foundation
import SwitchboardCore
@testable import SwitchboardReplay
@testable import SwitchboardStore
import Testing

/// The replay with offers on: each operator's answers are drawn from how it answered in the
/// window, so single requests go their own way, but the day's distributions must agree.
@Suite struct ReplayOfferFidelityTests {
    /// Ten operators of two slots on one source that offers (30 s to answer), each with its
    /// own habit: from a quick yes to a slow, choosy one (accepting 60 to 90% of offers);
    /// `count` requests 8 s apart on average. Three thousand give about a thousand declines,
    /// so that a tenth is three times the noise of two draws of them.
    static func livedDay(count: Int = 3_000) throws -> (store: SwitchboardStore, day: ScriptedDay) {
        let clock = Clock()
        let store = try makeStore(seed: ReplayFidelityTests.seed, clock: clock)
        try store.ok(.sourceCreate(name: "Chat", identifier: "chat", settings: SourceSettings(offerTimeoutSeconds: 30)))
        let operators = try (1...10).map { try store.createOperator("op\($0)", limit: 2) }
        try store.ok(.sourceSetWeights(sourceId: 1, weights: operators.map { Weight(operatorId: $0, weight: 10 + Int($0) * 5) }))
        var day = ScriptedDay.steady(start: clock.milliseconds + 60_000, count: count, gapSeconds: 8, longestSeconds: 240,
                                     sources: [1], seed: 11)
        for op in operators {
            day.offerHabits[op] = .init(acceptShare: 0.9 - Double(op % 4) * 0.1, slowestSeconds: 2 + Int(op % 5) * 2)
        }
        try day.play(on: store, clock: clock)
        return (store, day)
    }

    @Test func replayedWithOffersOnTheDaysDistributionsAgreeWithinATenth() throws {
        let (store, lived) = try Self.livedDay()
        let since = Timestamp(milliseconds: lived.start), until = Timestamp(milliseconds: lived.end)
        let day = try store.recordedDay(since: since, until: until)
        #expect(day.offerAnswers.count == 10, "every operator answered offers in the window")
        let (outcome, _) = try Replay.single(day, changes: ReplayChanges(), seed: ReplayFidelityTests.seed)
        guard case let .serviceLevel(recorded) = try store.ok(.statsServiceLevel(ServiceLevelQuery(since: since, until: until))) else {
            throw TestFailure("no service level")
        }
        let (was, now) = (recorded.overall, outcome.serviceLevel.overall)
        #expect(was.offers.made > 3_000 && was.offers.declined > 500, "offers were declined and made again")
        func agree(_ name: String, _ recordedValue: Double, _ replayed: Double) {
            print("replay fidelity with offers: \(name) recorded \(recordedValue), replayed \(replayed)")
            #expect(abs(replayed - recordedValue) <= 0.1 * recordedValue, "\(name)")
        }
        agree("time to assign p50 (s)", was.timeToAssignSeconds.p50 ?? 0, now.timeToAssignSeconds.p50 ?? 0)
        agree("time to assign p90 (s)", was.timeToAssignSeconds.p90 ?? 0, now.timeToAssignSeconds.p90 ?? 0)
        agree("time to assign p99 (s)", was.timeToAssignSeconds.p99 ?? 0, now.timeToAssignSeconds.p99 ?? 0)
        agree("offers made", Double(was.offers.made), Double(now.offers.made))
        agree("offers accepted", Double(was.offers.accepted), Double(now.offers.accepted))
        agree("offers declined", Double(was.offers.declined), Double(now.offers.declined))
    }
}
