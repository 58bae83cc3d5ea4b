@testable import SwitchboardService
@testable import SwitchboardStore
import Testing

/// Refused events with a given clock: when each is tried again, when it is set aside, and
/// when its outbox row may go.
@Suite struct RefusedEventsTests {
    let start = ContinuousClock.now

    static func event(row: Int64, _ id: String, key: String = "request.assigned") -> OutboxEvent {
        OutboxEvent(id: row, eventId: id, routingKey: key, correlationId: nil, body: Array(id.utf8))
    }

    @Test func aRefusedEventIsDueAfterTheFirstPauseAndNotBefore() {
        var refused = RefusedEvents()
        refused.published([Self.event(row: 1, "a")], refused: [0], now: start)
        #expect(refused.nextDue == start + RefusedEvents.retryDelays[0])
        #expect(refused.takeDue(now: start + .milliseconds(99)).isEmpty)
        #expect(refused.takeDue(now: start + .milliseconds(100)).map(\.event.eventId) == ["a"])
        #expect(refused.nextDue == nil)
    }

    @Test func aConfirmedBatchSettlesItsRowAtOnceAndARefusedOneHoldsIt() {
        var refused = RefusedEvents()
        refused.published([Self.event(row: 1, "a"), Self.event(row: 1, "b"), Self.event(row: 2, "c")], refused: [1], now: start)
        #expect(refused.settlement.settledRows == [2])
        let due = refused.takeDue(now: start + .seconds(1))
        #expect(refused.retried(due, refused: [], now: start + .seconds(1)).isEmpty)
        #expect(refused.settlement.settledRows == [2, 1])
        #expect(refused.settlement.setAside.isEmpty)
    }

    @Test func anEventRefusedAtEveryAttemptIsSetAsideAfterTheLastPause() {
        var refused = RefusedEvents()
        var now = start
        refused.published([Self.event(row: 7, "a")], refused: [0], now: now)
        var setAside: [OutboxEvent] = []
        var attempts = 0
        // Bounded: one attempt per pause, and a few more would show a schedule that never ends.
        while let due = refused.nextDue, attempts < RefusedEvents.retryDelays.count + 3 {
            now = due
            let entries = refused.takeDue(now: now)
            setAside += refused.retried(entries, refused: Set(entries.indices), now: now)
            attempts += 1
        }
        #expect(attempts == RefusedEvents.retryDelays.count)
        #expect(setAside.map(\.eventId) == ["a"])
        #expect(now - start == RefusedEvents.retryDelays.reduce(.zero, +))
        #expect(refused.settlement.setAside.map(\.eventId) == ["a"])
        #expect(refused.settlement.settledRows == [7])
    }

    @Test func pastTheHoldLimitANewlyRefusedEventIsSetAsideAtOnce() {
        var refused = RefusedEvents()
        let events = (0...RefusedEvents.holdLimit).map { Self.event(row: Int64($0 + 1), "e\($0)") }
        refused.published(events, refused: Set(events.indices), now: start)
        #expect(refused.heldOver.map(\.eventId) == ["e\(RefusedEvents.holdLimit)"])
        #expect(refused.takeDue(now: start + .seconds(1)).count == RefusedEvents.holdLimit)
    }
}
