import BrokerTestSupport
import Foundation
import GRDB
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite struct ServiceLevelTests {
    func serviceLevel(_ store: SwitchboardStore, _ query: ServiceLevelQuery = ServiceLevelQuery()) throws -> ServiceLevel {
        guard case let .serviceLevel(level) = try store.ok(.statsServiceLevel(query)) else { throw TestFailure("not a service level") }
        return level
    }

    @Test func timesToAssignAndHandleAreWhatTheClockSaw() throws {
        let world = try OfferWorld(operators: 1, limit: 5, timeout: 0)
        let op = world.operators[0]
        try world.store.ok(.operatorUpdate(id: op, name: nil, maxLoadLimit: nil, isActive: false))
        let ids = try (0..<3).map { try world.intake("r\($0)").0.id }
        world.clock.advance(seconds: 10)
        try world.store.ok(.operatorUpdate(id: op, name: nil, maxLoadLimit: nil, isActive: true))
        world.clock.advance(seconds: 4)
        try world.store.ok(.requestClose(id: ids[0]))

        let level = try serviceLevel(world.store, ServiceLevelQuery(thresholdsSeconds: [5, 60]))
        let row = level.overall
        #expect(row.requests == 3 && row.assigned == 3 && row.closed == 1)
        let minimum = try #require(row.timeToAssignSeconds.p50)
        #expect(minimum >= 10 && minimum < 10.1)
        #expect(try #require(row.timeToAssignSeconds.max) >= minimum)
        #expect(row.within.map(\.thresholdSeconds) == [5, 60] && row.within.map(\.share) == [0, 1])
        let handle = try #require(row.handleSeconds.p50)
        #expect(handle >= 4 && handle < 4.1)
        #expect(level.bySource.map(\.sourceId) == [world.source] && level.bySource[0].requests == 3)
        #expect(level.byOperator.map(\.operatorId) == [op] && level.byOperator[0].assigned == 3)
        #expect(level.waiting.count == 0 && level.waiting.oldest == nil)
    }

    @Test func offersAndTheWaitingLineAreCounted() throws {
        let world = try OfferWorld(operators: 2, limit: 1, timeout: 30)
        let (first, _) = try world.intake("first")
        let holder = try #require(first.operatorId)
        _ = try world.run(.requestReject(id: first.id, operatorId: holder, reason: nil))
        let other = try #require(try world.request(first.id).operatorId)
        _ = try world.run(.requestAccept(id: first.id, operatorId: other))
        let (second, _) = try world.intake("second", priority: 4)
        _ = try world.intake("third")
        world.clock.advance(seconds: 2)

        let level = try serviceLevel(world.store)
        #expect(level.overall.offers == ServiceLevel.Offers(made: 3, accepted: 1, declined: 1))
        #expect(level.overall.requests == 3 && level.overall.assigned == 1)
        let rows = Dictionary(uniqueKeysWithValues: level.byOperator.map { ($0.operatorId!, $0.offers) })
        #expect(rows[holder]?.declined == 1 && rows[other]?.accepted == 1)
        #expect(level.waiting.count == 1)
        let oldest = try #require(level.waiting.oldest)
        #expect(oldest.priority == 0 && oldest.id != second.id && oldest.ageSeconds >= 2)
    }

    @Test func theWindowAndSourceFilterChooseTheRequests() throws {
        let clock = Clock()
        let store = try makeStore(clock: clock)
        let chat = try store.createSource("chat")
        let mail = try store.createSource("mail")
        try store.send("a", source: .id(chat))
        clock.advance(seconds: 3600)
        let since = clock.tick()
        try store.send("b", source: .id(chat))
        try store.send("c", source: .id(mail))

        let all = try serviceLevel(store)
        #expect(all.overall.requests == 3 && all.bySource.map(\.requests) == [2, 1])
        let lastHour = try serviceLevel(store, ServiceLevelQuery(since: since))
        #expect(lastHour.overall.requests == 2)
        let mailOnly = try serviceLevel(store, ServiceLevelQuery(sourceId: mail))
        #expect(mailOnly.overall.requests == 1 && mailOnly.bySource.map(\.sourceId) == [mail] && mailOnly.waiting.count == 1)
        #expect(mailOnly.overall.within.allSatisfy { $0.share == 0 })
        let empty = try serviceLevel(store, ServiceLevelQuery(until: Timestamp(milliseconds: 1000)))
        #expect(empty.overall.requests == 0 && empty.overall.timeToAssignSeconds.p50 == nil
            && empty.overall.within.allSatisfy { $0.share == nil })
    }

    @Test func anUnknownSourceOrASinceAfterNowIsAValidationErrorNamingTheField() throws {
        let store = try makeStore()
        let unknown = try #require(try store.failure(.statsServiceLevel(ServiceLevelQuery(sourceId: 42))))
        #expect(unknown.code == .validationError && unknown.details.map(\.field) == ["source_id"])
        let future = try #require(try store.failure(.statsServiceLevel(ServiceLevelQuery(since: Timestamp(milliseconds: 4_000_000_000_000)))))
        #expect(future.code == .validationError && future.details.map(\.field) == ["since"])
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own"), arguments: [
        (SwitchboardStore.serviceLevelQueries.requests, 1),
        (SwitchboardStore.serviceLevelQueries.offers, 2),
    ])
    func theWindowIsReadThroughTheCreationIndex(_ query: String, _ steps: Int) throws {
        let store = try makeStore()
        let plan = try store.readSQLite { db in
            try String.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + query, arguments: [0, 1, nil],
                                adapter: SuffixRowAdapter(fromIndex: 3))
        }
        #expect(plan.count == steps && plan[0].contains("requests_created") && plan[0].contains("created_at>? AND created_at<?"),
                "\(plan)")
    }
}
