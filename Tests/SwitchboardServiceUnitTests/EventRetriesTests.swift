@testable import SwitchboardService
@testable import SwitchboardStore
import SwitchboardCore
import Testing

/// Refused events with a given clock: when each is published again, when it is set aside,
/// what becomes of its outbox row, and when the writer reads the next page.
@Suite struct EventRetriesTests {
    let start = Timestamp(milliseconds: 1_800_000_000_000)

    static func event(row: Int64, _ id: String, key: String = "request.assigned") -> OutboxEvent {
        OutboxEvent(id: row, eventId: id, routingKey: key, correlationId: nil, body: Array(id.utf8))
    }

    func at(_ milliseconds: Int64) -> Timestamp { Timestamp(milliseconds: start.milliseconds + milliseconds) }

    @Test func thePausesStartAt100MillisecondsAndDoubleUpTo30Seconds() {
        let pauses = (1...13).map { EventRetries.pause(afterRefusals: $0).milliseconds }
        #expect(pauses == [100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000, 30_000, 30_000])
    }

    @Test func aRefusedEventKeepsOnlyItselfInItsRowAndIsDueAfterTheFirstPause() {
        var retries = EventRetries(retryFor: .seconds(900))
        let events = [Self.event(row: 1, "a"), Self.event(row: 1, "b"), Self.event(row: 2, "c")]
        let outcome = retries.published(events, refused: [1], now: start)
        #expect(outcome.nextDue == at(100))
        #expect(outcome.setAside.isEmpty)
        #expect(retries.settlement.settledRows == [2], "the row whose every event was taken goes")
        #expect(retries.settlement.rescheduled == [
            RetryRow(id: 1, events: [events[1]], refusals: 1, firstRefusedAt: start, dueAt: at(100)),
        ])
    }

    @Test func aPublicationTakenWholeSettlesEachOfItsRowsOnce() {
        var retries = EventRetries(retryFor: .seconds(900))
        let events = [Self.event(row: 1, "a"), Self.event(row: 1, "b"), Self.event(row: 2, "c")]
        #expect(retries.published(events, refused: [], now: start) == EventRetries.Outcome())
        #expect(retries.settlement == OutboxSettlement(settledRows: [1, 2]))
    }

    @Test func anEventTakenAtALaterAttemptSettlesItsRow() {
        var retries = EventRetries(retryFor: .seconds(900))
        let row = RetryRow(id: 4, events: [Self.event(row: 4, "a"), Self.event(row: 4, "b")], refusals: 3, firstRefusedAt: start,
                           dueAt: at(700))
        let outcome = retries.retried([row], refused: [], now: at(700))
        #expect(outcome == EventRetries.Outcome(nextDue: nil, setAside: []))
        #expect(retries.settlement == OutboxSettlement(settledRows: [4]))
    }

    @Test func positionsCountAcrossTheRowsOfARoundInOrder() {
        var retries = EventRetries(retryFor: .seconds(900))
        let first = RetryRow(id: 1, events: [Self.event(row: 1, "a"), Self.event(row: 1, "b")], refusals: 1, firstRefusedAt: start,
                             dueAt: at(100))
        let second = RetryRow(id: 2, events: [Self.event(row: 2, "c"), Self.event(row: 2, "d")], refusals: 2, firstRefusedAt: at(50),
                              dueAt: at(250))
        _ = retries.retried([first, second], refused: [1, 2], now: at(300))
        #expect(retries.settlement.rescheduled.map(\.events) == [[first.events[1]], [second.events[0]]])
        #expect(retries.settlement.rescheduled.map(\.refusals) == [2, 3])
        #expect(retries.settlement.rescheduled.map(\.dueAt) == [at(500), at(700)])
        #expect(retries.settlement.rescheduled.map(\.firstRefusedAt) == [start, at(50)], "the window counts from the first refusal")
    }

    @Test func anEventRefusedAtEveryAttemptIsTriedUntilItsTimeEndsThenSetAside() {
        var retries = EventRetries(retryFor: .seconds(60))
        var outcome = retries.published([Self.event(row: 7, "a")], refused: [0], now: start)
        var attempts: [Int64] = []
        // Bounded: 100 ms doubling to 30 s fits eleven attempts in a minute; more shows a schedule that never ends.
        while let due = outcome.nextDue, attempts.count < 20 {
            attempts.append(due.milliseconds - start.milliseconds)
            let row = retries.settlement.rescheduled.removeLast()
            outcome = retries.retried([row], refused: [0], now: due)
        }
        #expect(attempts == [100, 300, 700, 1_500, 3_100, 6_300, 12_700, 25_500, 51_100, 60_000])
        #expect(outcome.setAside.map(\.eventId) == ["a"], "set aside at the attempt when its minute ends, not before")
        #expect(retries.settlement.setAside.map(\.eventId) == ["a"])
        #expect(retries.settlement.settledRows == [7])
    }

    @Test func withNoTimeToRetryARefusedEventIsSetAsideAtOnce() {
        var retries = EventRetries(retryFor: .zero)
        let outcome = retries.published([Self.event(row: 3, "a"), Self.event(row: 3, "b")], refused: [0], now: start)
        #expect(outcome.setAside.map(\.eventId) == ["a"])
        #expect(outcome.nextDue == nil)
        #expect(retries.settlement == OutboxSettlement(settledRows: [3], setAside: [Self.event(row: 3, "a")]))
    }

    @Test func aRoundIsDueOnceTheEarliestAttemptHasComeAndNotBefore() {
        let now = ContinuousClock.now
        var rounds = RetryRounds(earliestDue: nil)
        #expect(!rounds.isDue(now: now, wallClock: start))
        #expect(rounds.wake(now: now, wallClock: start) == nil)
        rounds.scheduled(at(300))
        rounds.scheduled(at(100))
        rounds.scheduled(nil)
        #expect(rounds.earliestDue == at(100))
        #expect(!rounds.isDue(now: now, wallClock: at(99)))
        #expect(rounds.isDue(now: now, wallClock: at(100)))
        #expect(rounds.wake(now: now, wallClock: at(40)) == now + .milliseconds(60))
    }

    @Test func whileTheBrokerRefusesAPageTheNextWaitsHalfASecondAndOnceItTakesOneTheNextFollowsAtOnce() {
        let now = ContinuousClock.now
        var rounds = RetryRounds(earliestDue: start)
        rounds.finished(refusedAgain: true, nextDue: start, now: now)
        #expect(!rounds.isDue(now: now + .milliseconds(499), wallClock: start), "rows are due, but the broker refuses")
        #expect(rounds.isDue(now: now + RetryRounds.pauseWhileRefused, wallClock: start))
        #expect(rounds.wake(now: now, wallClock: start) == now + RetryRounds.pauseWhileRefused)
        rounds.finished(refusedAgain: false, nextDue: start, now: now)
        #expect(rounds.isDue(now: now, wallClock: start))
        rounds.finished(refusedAgain: false, nextDue: nil, now: now)
        #expect(!rounds.isDue(now: now + .seconds(60), wallClock: at(60_000)), "nothing waits in the store")
    }
}
