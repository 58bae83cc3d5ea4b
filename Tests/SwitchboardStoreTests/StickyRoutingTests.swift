import BrokerTestSupport
import Foundation
import GRDB
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite struct StickyRoutingTests {
    /// Three operators weighted alike on a source sticky for an hour.
    static func world(seed: UInt64 = 1, timeout: Int = 0) throws -> OfferWorld {
        let world = try OfferWorld(operators: 3, limit: 5, timeout: timeout, seed: seed)
        try world.store.ok(.sourceUpdate(id: world.source, name: nil, settings: SourceSettings(stickySeconds: 3600)))
        return world
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func aReturningUserGetsTheSameOperatorWhileEligible(seed: UInt64) throws {
        let world = try Self.world(seed: seed)
        let (first, firstEvents) = try world.intake("one", user: "alice")
        #expect(firstEvents.first?.route == .weighted)
        let operatorId = try #require(first.operatorId)
        for index in 0..<6 {
            _ = try world.run(.requestClose(id: index == 0 ? first.id : try latest(of: world)))
            let (next, events) = try world.intake("again \(index)", user: "alice")
            #expect(next.operatorId == operatorId)
            #expect(events.first?.event == .requestAssigned && events.first?.route == .sticky)
        }
    }

    @Test func someoneElseTakesItWhenThatOperatorIsAway() throws {
        let world = try Self.world()
        let (first, _) = try world.intake("one", user: "bob")
        let previous = try #require(first.operatorId)
        try world.store.ok(.operatorSetPresence(id: previous, presence: .away, requeue: false))
        let (next, events) = try world.intake("two", user: "bob")
        #expect(next.operatorId != previous && next.status == .assigned)
        #expect(events.first?.route == .weighted)
    }

    @Test func someoneElseTakesItWhenThatOperatorIsFull() throws {
        let world = try Self.world()
        let (first, _) = try world.intake("one", user: "carol")
        let previous = try #require(first.operatorId)
        try world.store.ok(.operatorUpdate(id: previous, name: nil, maxLoadLimit: 1, isActive: nil))
        let (next, events) = try world.intake("two", user: "carol")
        #expect(next.operatorId != previous && next.status == .assigned)
        #expect(events.first?.route == .weighted)
    }

    @Test func stickinessEndsAfterStickySeconds() throws {
        let world = try Self.world()
        let (first, _) = try world.intake("one", user: "dan")
        world.clock.advance(seconds: 3601)
        // With three operators a plain draw picks the same one a third of the time: the
        // route, not the operator, says whether stickiness applied.
        let (_, events) = try world.intake("two", user: "dan")
        #expect(first.operatorId != nil && events.first?.route == .weighted)
    }

    @Test func withOffersTheStickyOperatorIsOfferedItFirst() throws {
        let world = try Self.world(timeout: 30)
        let (first, _) = try world.intake("one", user: "erin")
        let previous = try #require(first.operatorId)
        _ = try world.run(.requestAccept(id: first.id, operatorId: previous))
        let (next, events) = try world.intake("two", user: "erin")
        #expect(next.status == .offered && next.operatorId == previous && events.first?.route == .sticky)
        let accepted = try world.run(.requestAccept(id: next.id, operatorId: previous))
        #expect(accepted.first?.route == .sticky, "the accept's request.assigned says how the operator was chosen")
    }

    @Test func offSourcesRouteByWeightAsBefore() throws {
        let world = try OfferWorld(operators: 3, limit: 5, timeout: 0)
        _ = try world.intake("one", user: "frank")
        let (_, events) = try world.intake("two", user: "frank")
        #expect(events.first?.route == .weighted)
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own")) func theLatestRequestOfAUserIsOneIndexSeek() throws {
        let store = try makeStore()
        let plan = try store.readSQLite { db in
            try String.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SwitchboardStore.latestRequestOfUser, arguments: [1, 1],
                                adapter: SuffixRowAdapter(fromIndex: 3))
        }
        #expect(plan.count == 1 && plan[0].contains("requests_user") && plan[0].contains("rowid<?"), "\(plan)")
    }

    private func latest(of world: OfferWorld) throws -> Int64 {
        try world.store.read { try Int64.fetchOne($0, sql: "SELECT MAX(id) FROM requests") } ?? 0
    }
}
