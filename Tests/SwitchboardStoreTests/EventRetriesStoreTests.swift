import Foundation
import SwitchboardCore
@testable import SwitchboardStore
import Testing

/// What the store keeps of refused events: their rows with only the refused events and the
/// next attempt, the set-aside table, and every event's `sequence`. On both databases.
@Suite struct EventRetriesStoreTests {
    static let start = Timestamp(milliseconds: 1_800_000_000_000)

    /// A store with one source and no operator, and `count` waiting requests, one transaction
    /// each; their events already confirmed but for the last transaction's.
    static func storeWithEvents(_ count: Int, path: String? = nil) throws -> (SwitchboardStore, [OutboxEvent]) {
        let store = try makeStore(path: path)
        let tg = try store.createSource("telegram")
        try store.markSent(try store.unsentEvents().map(\.id))
        let applied = try store.apply((0..<count).map { .intake(IntakeMessage(userIdentifier: "u\($0)", source: .id(tg), message: "m"),
                                                                 messageId: "m\($0)") })
        return (store, applied.events)
    }

    static func sequence(_ event: OutboxEvent) throws -> Int64? {
        try JSONDecoder().decode(Event.self, from: Data(event.body)).sequence
    }

    @Test func everyEventCarriesASequenceThatGrowsAcrossTransactionsAndReopenings() throws {
        let path = temporaryDatabasePath()
        var (store, first): (SwitchboardStore?, [OutboxEvent]) = try Self.storeWithEvents(3, path: path)
        let tg: Int64 = 1
        let second = try #require(store).intake(IntakeMessage(userIdentifier: "v", source: .id(tg), message: "m")).1
        store = nil
        let reopened = try makeStore(path: path)
        let third = try reopened.intake(IntakeMessage(userIdentifier: "w", source: .id(tg), message: "m")).1
        let sequences = try (first + second + third).map { event in try #require(try Self.sequence(event)) }
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "\(sequences)")
        #expect(sequences[0] >= 1)
        #expect(sequences[3] == sequences[2] + 1, "one writer numbers its events one after another")
        #expect(sequences[4] > sequences[3], "a new opening starts after what the last one reserved: \(sequences)")
    }

    @Test func aRefusedRowKeepsOnlyItsRefusedEventsWaitsForItsTimeAndIsNeverUnsentAgain() throws {
        let (store, events) = try Self.storeWithEvents(3)
        let row = RetryRow(id: events[0].id, events: [events[1]], refusals: 1, firstRefusedAt: Self.start,
                           dueAt: Timestamp(milliseconds: Self.start.milliseconds + 100))
        try store.settle(OutboxSettlement(rescheduled: [row]))
        #expect(try store.unsentEvents().isEmpty, "a refused row waits for its attempt, not for the next start")
        #expect(try store.nextRetryDue() == row.dueAt)
        #expect(try store.dueRetries(at: Timestamp(milliseconds: Self.start.milliseconds + 99), rows: 10, events: 100).isEmpty)
        let due = try store.dueRetries(at: row.dueAt, rows: 10, events: 100)
        #expect(due == [row])
        guard case let .status(status) = try store.ok(.serviceStatus) else { throw TestFailure("status") }
        #expect(status.eventsRetrying == 1)
        #expect(status.outboxPending == 1)
        try store.settle(OutboxSettlement(settledRows: [row.id]))
        #expect(try store.nextRetryDue() == nil)
    }

    @Test func aRoundReadsRowsEarliestFirstAndStopsOnceItHasEnoughEvents() throws {
        let (store, _) = try Self.storeWithEvents(1)
        var rows: [RetryRow] = []
        for n in 0..<4 {
            let applied = try store.apply((0..<3).map { .intake(IntakeMessage(userIdentifier: "r\(n)-\($0)", source: .id(1), message: "m"),
                                                                 messageId: nil) })
            rows.append(RetryRow(id: applied.events[0].id, events: applied.events, refusals: 1, firstRefusedAt: Self.start,
                                 dueAt: Timestamp(milliseconds: Self.start.milliseconds + Int64(40 - n * 10))))
        }
        try store.settle(OutboxSettlement(rescheduled: rows))
        let now = Timestamp(milliseconds: Self.start.milliseconds + 1_000)
        #expect(try store.dueRetries(at: now, rows: 10, events: 5).map(\.id) == [rows[3].id, rows[2].id], "two rows make five events")
        #expect(try store.dueRetries(at: now, rows: 3, events: 100).map(\.id) == [rows[3].id, rows[2].id, rows[1].id])
        #expect(try store.nextRetryDue() == rows[3].dueAt)
    }

    @Test func setAsideEventsAreListedInPagesAndResentOnceIntoTheRetriesWithTheirBodies() throws {
        let (store, events) = try Self.storeWithEvents(5)
        try store.settle(OutboxSettlement(settledRows: [events[0].id], setAside: events))
        guard case let .setAside(all) = try store.ok(.eventsListSetAside(SetAsideFilter())) else { throw TestFailure("list") }
        #expect(Set(all.map(\.eventId)) == Set(events.map(\.eventId)))
        guard case let .setAside(page) = try store.ok(.eventsListSetAside(SetAsideFilter(limit: 2))),
              case let .setAside(next) = try store.ok(.eventsListSetAside(SetAsideFilter(limit: 10, afterEventId: page.last?.eventId)))
        else { throw TestFailure("pages") }
        #expect(page.map(\.eventId) + next.map(\.eventId) == all.map(\.eventId))
        guard case let .object(body) = all[0].event, case let .integer(sequence)? = body["sequence"] else { throw TestFailure("body") }
        #expect(sequence > 0)
        #expect(try store.failure(.eventsListSetAside(SetAsideFilter(afterEventId: "gone")))?.details.first?.field == "after_event_id")

        guard case let .resent(one) = try store.ok(.eventsResend(ResendSelection(eventIds: [events[2].eventId]))) else {
            throw TestFailure("resend")
        }
        #expect(one == Resent(resent: 1, remaining: 0))
        guard case let .resent(rest) = try store.ok(.eventsResend(.all)),
              case let .resent(again) = try store.ok(.eventsResend(.all)) else { throw TestFailure("resend all") }
        #expect(rest == Resent(resent: 4, remaining: 0))
        #expect(again == Resent(resent: 0, remaining: 0), "each event goes back once")
        let due = try store.dueRetries(at: .now(), rows: 10, events: 100).flatMap(\.events)
        #expect(due.sorted { $0.eventId < $1.eventId }.map(\.body) == events.sorted { $0.eventId < $1.eventId }.map(\.body),
                "the same events, byte for byte: event_id, occurred_at and sequence kept")
        #expect(try store.dueRetries(at: .now(), rows: 10, events: 100).allSatisfy { $0.refusals == 0 })
    }

    @Test func resendFiltersByRoutingKeyAndWhenTheEventsWereSetAside() throws {
        let (store, events) = try Self.storeWithEvents(2)
        try store.settle(OutboxSettlement(settledRows: [events[0].id], setAside: events))
        let time = try #require(try store.read { try Int64.fetchOne($0, sql: "SELECT MIN(set_aside_at) FROM events_set_aside") })
        let before = Timestamp(milliseconds: time)
        guard case let .resent(none) = try store.ok(.eventsResend(ResendSelection(routingKey: "request.closed"))),
              case let .resent(early) = try store.ok(.eventsResend(ResendSelection(until: before))),
              case let .resent(matched) = try store.ok(.eventsResend(ResendSelection(routingKey: "request.waiting", since: before)))
        else { throw TestFailure("resend") }
        #expect(none.resent == 0)
        #expect(early.resent == 0, "until is exclusive")
        #expect(matched == Resent(resent: 2, remaining: 0))
    }
}
