import BrokerTestSupport
import Foundation
import SwitchboardCore
@testable import SwitchboardReplay
@testable import SwitchboardStore
import Testing

/// Transfers in a replay: read from the audit trail, and made again as long after the
/// request's first assignment as they were.
@Suite struct ReplayTransferTests {
    /// Five operators take the chat line; a sixth, with no weight on it, gets only what
    /// colleagues transfer to it: every tenth request, 20 s after its first assignment.
    static func livedDay() throws -> (store: SwitchboardStore, day: ScriptedDay, specialist: Int64) {
        let clock = Clock()
        let store = try makeStore(seed: ReplayFidelityTests.seed, clock: clock)
        try store.ok(.sourceCreate(name: "Chat", identifier: "chat"))
        let operators = try (1...5).map { try store.createOperator("op\($0)", limit: 3) }
        let specialist = try store.createOperator("billing", limit: 20)
        try store.ok(.sourceSetWeights(sourceId: 1, weights: operators.map { Weight(operatorId: $0, weight: 20) }))
        var day = ScriptedDay.steady(start: clock.milliseconds + 60_000, count: 600, gapSeconds: 10, longestSeconds: 120,
                                     sources: [1], seed: 5)
        for index in stride(from: 0, to: 600, by: 10) { day.transfers[index] = (20_000, specialist) }
        try day.play(on: store, clock: clock)
        return (store, day, specialist)
    }

    @Test func recordedTransfersAreMadeAgainAsLongAfterAssignmentAsTheyWere() throws {
        let (store, lived, specialist) = try Self.livedDay()
        let day = try store.recordedDay(since: Timestamp(milliseconds: lived.start), until: Timestamp(milliseconds: lived.end))
        let handedOver = day.transfers.filter { $0.to == .operator(specialist) }
        print("replay transfers: \(day.transfers.count) recorded")
        let heldLonger = lived.transfers.keys.filter { lived.arrivals[$0].handleMilliseconds > 20_000 }.count
        #expect(day.transfers.count == heldLonger, "a transfer of a request closed by then is refused; the others are recorded")
        #expect(handedOver.count == day.transfers.count)
        // The scripted clock ticks a millisecond a reading.
        #expect(day.transfers.allSatisfy { (20_000...20_050).contains($0.afterAssignmentMilliseconds) })
        #expect(day.transfers.allSatisfy { $0.reason == "billing" })

        let (outcome, assignments) = try Replay.single(day, changes: ReplayChanges(), seed: ReplayFidelityTests.seed)
        let transferred = Set(day.transfers.map(\.requestId))
        let withTheSpecialist = transferred.filter { assignments[$0] == specialist }.count
        print("replay transfers: \(withTheSpecialist) of \(transferred.count) transferred requests end with the specialist again")
        #expect(withTheSpecialist == transferred.count)
        #expect(assignments.filter { $0.value == specialist }.count == transferred.count, "it got nothing but transfers")
        let held = outcome.utilisation.first { $0.operatorId == specialist }?.share ?? 0
        #expect(held > 0)
    }

    @Test func aTransferToAColleagueTheChangesDeactivateIsRefusedAndTheRequestStays() throws {
        let (store, lived, specialist) = try Self.livedDay()
        let day = try store.recordedDay(since: Timestamp(milliseconds: lived.start), until: Timestamp(milliseconds: lived.end))
        let changes = try ReplayChanges.parse(["operators": ["\(specialist)": ["is_active": false]]], operators: Set(1...6), sources: [1]).get()
        let (_, assignments) = try Replay.single(day, changes: changes, seed: ReplayFidelityTests.seed)
        #expect(!assignments.values.contains(specialist), "an inactive colleague takes no transfer")
        #expect(Set(day.transfers.map(\.requestId)).allSatisfy { assignments[$0] != nil }, "each stays with whoever had it")
    }
}
