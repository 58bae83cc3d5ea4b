import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// Hours on a store whose clock starts on 2026-11-25 at 09:46:40 UTC (the test ``Clock``):
/// a source open from 09:50 to 10:20 UTC every day opens 200 s in.
struct HoursWorld {
    let clock = Clock()
    let store: SwitchboardStore
    let source: Int64
    let operators: [Int64]
    static let halfHour = WorkingHours(timeZone: "UTC", weekly: [WeeklyRange(days: Weekday.allCases, open: "09:50", close: "10:20")])

    init(hours: WorkingHours? = Self.halfHour, maxWait: Int = 0, operators count: Int = 1, path: String? = nil) throws {
        store = try makeStore(path: path, clock: clock)
        guard case let .source(made) = try store.ok(.sourceCreate(
            name: "Chat", identifier: "chat", settings: SourceSettings(maxWaitSeconds: maxWait, hours: hours.map(HoursChange.set))))
        else { throw TestFailure("no source") }
        source = made.id
        let store = store
        let ids = try (0..<count).map { try store.createOperator("op\($0)", limit: 5) }
        operators = ids
        try store.ok(.sourceSetWeights(sourceId: source, weights: ids.map { Weight(operatorId: $0, weight: 1) }))
    }

    func intake(_ user: String, priority: Int = 0) throws -> (id: Int64, events: [Event]) {
        let (outcome, events) = try store.intake(IntakeMessage(userIdentifier: user, source: .id(source), message: "m", priority: priority))
        let id: Int64 = switch outcome {
        case let .assigned(id, _), let .waiting(id), let .offered(id, _): id
        default: throw TestFailure("intake refused")
        }
        return (id, try events.map { try JSONDecoder().decode(Event.self, from: Data($0.body)) })
    }

    /// Lets time pass and the writer handle what fell due; the events it wrote.
    func pass(seconds: Int) throws -> [Event] {
        clock.advance(seconds: seconds)
        return try store.apply([]).events.map { try JSONDecoder().decode(Event.self, from: Data($0.body)) }
    }
}

@Suite struct WorkingHoursStoreTests {
    @Test func theSourceShapeSaysWhetherItIsOpenAndWhenThatChanges() throws {
        let world = try HoursWorld()
        let source = try world.store.sourceNow(world.source)
        #expect(source.hours == HoursWorld.halfHour && !source.openNow)
        #expect(source.nextChangeAt == Timestamp(rfc3339: "2026-11-25T09:50:00Z"))
        #expect(try world.store.nextDeadline() == Timestamp(rfc3339: "2026-11-25T09:50:00Z"))
    }

    @Test func afterHoursRequestsWaitSayingWhenTheSourceOpensAndAreServedThenByPriorityThenAge() throws {
        let world = try HoursWorld(operators: 1)
        try world.store.ok(.operatorUpdate(id: world.operators[0], name: nil, maxLoadLimit: 2, isActive: nil))
        let low = try world.intake("u1", priority: 1)
        let high = try world.intake("u2", priority: 7)
        let later = try world.intake("u3", priority: 7)
        let waiting = try #require(low.events.first)
        #expect(waiting.event == .requestWaiting)
        #expect(waiting.waiting == Waiting(reason: .afterHours, opensAt: Timestamp(rfc3339: "2026-11-25T09:50:00Z")))
        #expect(try world.pass(seconds: 180).isEmpty, "still closed at 09:49:40")
        let served = try world.pass(seconds: 20).filter { $0.event == .requestAssigned }
        #expect(served.map(\.request.request.id) == [high.id, later.id], "two places: the highest priority, then the oldest")
        #expect(try world.store.requestNow(low.id).status == .waiting)
        try world.store.checkInvariants()
    }

    @Test func escalationCountsFromTheOpeningNotFromTheArrival() throws {
        let world = try HoursWorld(maxWait: 60, operators: 0)
        let request = try world.intake("u1")
        #expect(try world.pass(seconds: 200).isEmpty, "opened at 09:50; nobody to serve it")
        #expect(try world.pass(seconds: 59).isEmpty, "59 s after the opening: not yet")
        let escalated = try world.pass(seconds: 1).filter { $0.event == .requestEscalated }
        #expect(escalated.map(\.request.request.id) == [request.id])
    }

    @Test func aClosingStopsRoutingAndTheNextRequestWaitsForTheNextOpening() throws {
        let world = try HoursWorld()
        _ = try world.pass(seconds: 200)
        #expect(try world.intake("u1").events.first?.event == .requestAssigned, "open at 09:50")
        _ = try world.pass(seconds: 1_800)
        let late = try world.intake("u2")
        #expect(late.events.first?.waiting == Waiting(reason: .afterHours, opensAt: Timestamp(rfc3339: "2026-11-26T09:50:00Z")))
        #expect(try world.store.sourceNow(world.source).nextChangeAt == Timestamp(rfc3339: "2026-11-26T09:50:00Z"))
    }

    @Test func hoursClearedOpenTheSourceAtOnceAndServeItsLine() throws {
        let world = try HoursWorld()
        let request = try world.intake("u1")
        let (result, events) = try world.store.execute(.sourceUpdate(id: world.source, name: nil, settings: SourceSettings(hours: .clear)))
        guard case let .source(source) = try result.get() else { throw TestFailure("not a source") }
        #expect(source.hours == nil && source.openNow && source.nextChangeAt == nil)
        #expect(events.map(\.routingKey) == ["request.assigned"])
        #expect(try world.store.requestNow(request.id).status == .assigned)
        #expect(try world.store.nextDeadline() == nil)
    }

    @Test func anOpeningThatCameWhileTheStoreWasClosedServesTheLineOnceAfterReopening() throws {
        let path = temporaryDatabasePath()
        let clock: Clock
        let request: Int64
        do {
            let world = try HoursWorld(path: path)
            clock = world.clock
            request = try world.intake("u1").id
        }
        clock.advance(seconds: 600)
        let reopened = try makeStore(path: path, clock: clock)
        #expect(try reopened.nextDeadline() != nil, "the opening passed while it was closed")
        #expect(try reopened.apply([]).events.map(\.routingKey) == ["request.assigned"])
        #expect(try reopened.requestNow(request).status == .assigned)
        #expect(try reopened.apply([]).events.isEmpty)
    }

    @Test func serviceLevelTimesAnAfterHoursRequestFromTheOpening() throws {
        let world = try HoursWorld()
        _ = try world.intake("u1")
        _ = try world.pass(seconds: 200)
        guard case let .serviceLevel(level) = try world.store.ok(.statsServiceLevel(ServiceLevelQuery(
            since: Timestamp(rfc3339: "2026-11-25T09:00:00Z"), until: Timestamp(rfc3339: "2026-11-25T11:00:00Z"), thresholdsSeconds: [1])))
        else { throw TestFailure("not a service level") }
        #expect(level.overall.assigned == 1)
        #expect(level.overall.within.first?.share == 1, "assigned at the opening: within a second of it, not 200 s after arriving")
    }
}

extension SwitchboardStore {
    func sourceNow(_ id: Int64) throws -> Source {
        guard case let .source(found) = try ok(.sourceGet(id: id)) else { throw TestFailure("not a source") }
        return found
    }
}
