import BrokerTestSupport
import Foundation
import GRDB
import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite struct PriorityTests {
    @Test func closingTheBusyOperatorsRequestAssignsTheHigherPriorityOneFirst() throws {
        let world = try OfferWorld(operators: 1, limit: 1, timeout: 0)
        let (busy, _) = try world.intake("busy")
        let (normal, _) = try world.intake("normal")
        let (urgent, events) = try world.intake("urgent", priority: 5)
        #expect(normal.status == .waiting && urgent.status == .waiting && urgent.priority == 5)
        #expect(events.map(\.event) == [.requestWaiting] && events[0].request.request.priority == 5)

        let afterFirstClose = try world.run(.requestClose(id: busy.id))
        let assigned = afterFirstClose.filter { $0.event == .requestAssigned }
        #expect(assigned.map(\.request.request.id) == [urgent.id] && assigned.first?.route == .waitingLine)
        let afterSecondClose = try world.run(.requestClose(id: urgent.id))
        #expect(afterSecondClose.filter { $0.event == .requestAssigned }.map(\.request.request.id) == [normal.id])
        try world.store.checkInvariants()
    }

    @Test func equalPrioritiesGoOldestFirst() throws {
        let world = try OfferWorld(operators: 1, limit: 1, timeout: 0)
        let (busy, _) = try world.intake("busy")
        let waiting = try (0..<4).map { try world.intake("w\($0)", priority: 3).0.id }
        var served: [Int64] = []
        var holding = busy.id
        for _ in waiting {
            let next = try #require(try world.run(.requestClose(id: holding)).first { $0.event == .requestAssigned })
            served.append(next.request.request.id)
            holding = next.request.request.id
        }
        #expect(served == waiting)
    }

    @Test func setPriorityReordersTheLineAndIsRefusedForAClosedRequest() throws {
        let world = try OfferWorld(operators: 1, limit: 1, timeout: 0)
        let (busy, _) = try world.intake("busy")
        let (first, _) = try world.intake("first")
        let (second, _) = try world.intake("second")
        guard case let .request(raised) = try world.store.ok(.requestSetPriority(id: second.id, priority: 7)) else {
            throw TestFailure("not a request")
        }
        #expect(raised.priority == 7 && raised.status == .waiting)
        let next = try world.run(.requestClose(id: busy.id)).filter { $0.event == .requestAssigned }
        #expect(next.map(\.request.request.id) == [second.id])
        #expect(try world.request(first.id).status == .waiting)

        let closed = try #require(try world.store.failure(.requestSetPriority(id: busy.id, priority: 1)))
        #expect(closed.code == .conflict && closed.details.map(\.field) == ["id"])
        let missing = try #require(try world.store.failure(.requestSetPriority(id: 999, priority: 1)))
        #expect(missing.code == .notFound)
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own"), arguments: [SwitchboardStore.partHead, LineParts.nextPart])
    func theLineIsReadThroughItsIndexWithoutASort(_ query: String) throws {
        let store = try makeStore()
        let arguments: StatementArguments = query == SwitchboardStore.partHead ? ["1|-|", 1] : [""]
        let plan = try store.readSQLite { db in
            try String.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + query, arguments: arguments, adapter: SuffixRowAdapter(fromIndex: 3))
        }
        #expect(plan.count == 1 && plan[0].contains("requests_line"), "\(plan)")
        #expect(!plan.joined().contains("TEMP B-TREE"), "\(plan)")
    }
}

@Suite struct EscalationTests {
    /// One operator switched off, a source escalating after `maxWait` seconds.
    static func world(maxWait: Int = 1, overflow: Bool = false, operators: Int = 1) throws -> OfferWorld {
        let world = try OfferWorld(operators: operators, limit: 1, timeout: 0)
        try world.store.ok(.sourceUpdate(id: world.source, name: nil,
                                         settings: SourceSettings(maxWaitSeconds: maxWait, overflow: overflow)))
        for op in world.operators { try world.store.ok(.operatorUpdate(id: op, name: nil, maxLoadLimit: nil, isActive: false)) }
        return world
    }

    @Test func aRequestWaitingPastMaxWaitIsEscalatedOnceWithHowLongItWaited() throws {
        let world = try Self.world()
        let (request, _) = try world.intake()
        #expect(try world.store.nextDeadline() == Timestamp(milliseconds: request.createdAt.milliseconds + 1000))
        #expect(try world.pass(seconds: 0).isEmpty, "not due yet")

        let events = try world.pass(seconds: 2).map(world.decoded)
        #expect(events.map(\.event) == [.requestEscalated])
        let waited = try #require(events.first?.waitedMs)
        #expect(waited >= 2000 && waited < 3000)
        let now = try world.request(request.id)
        #expect(now.priority == 9 && now.escalatedAt != nil && now.status == .waiting)
        #expect(try world.store.nextDeadline() == nil)
        #expect(try world.pass(seconds: 5).isEmpty, "escalated once")
    }

    @Test func withOverflowAnEscalatedRequestGoesToAnOperatorWithoutAWeight() throws {
        let world = try Self.world(overflow: true)
        let outsider = try world.store.createOperator("outsider", limit: 1)
        let (request, _) = try world.intake()
        #expect(request.status == .waiting, "the outsider has no weight for the source")
        let events = try world.pass(seconds: 2).map(world.decoded)
        #expect(events.map(\.event) == [.requestEscalated, .requestAssigned])
        #expect(events.last?.route == .overflow && events.last?.request.request.operatorId == outsider)
        try world.store.checkInvariants()
    }

    @Test func withoutOverflowItKeepsWaitingForItsOwnOperators() throws {
        let world = try Self.world(overflow: false)
        try world.store.createOperator("outsider", limit: 1)
        let (request, _) = try world.intake()
        #expect(try world.pass(seconds: 2).map(world.decoded).map(\.event) == [.requestEscalated])
        #expect(try world.request(request.id).status == .waiting)
    }

    @Test func anEscalatedRequestGoesFirstWhenRoomAppears() throws {
        let world = try Self.world(maxWait: 60)
        let (old, _) = try world.intake("old")
        _ = try world.pass(seconds: 30)
        let (urgent, _) = try world.intake("urgent", priority: 8)
        _ = try world.pass(seconds: 31)
        #expect(try world.request(old.id).priority == 9)
        let events = try world.run(.operatorUpdate(id: world.operators[0], name: nil, maxLoadLimit: nil, isActive: true))
        #expect(events.filter { $0.event == .requestAssigned }.map(\.request.request.id) == [old.id])
        #expect(try world.request(urgent.id).status == .waiting)
    }

    @Test func aNewMaxWaitAppliesToRequestsAlreadyWaitingCountedFromTheirCreation() throws {
        let world = try Self.world(maxWait: 0)
        let (request, _) = try world.intake()
        _ = try world.pass(seconds: 10)
        #expect(try world.store.nextDeadline() == nil)
        try world.store.ok(.sourceUpdate(id: world.source, name: nil, settings: SourceSettings(maxWaitSeconds: 5)))
        let events = try world.pass(seconds: 0).map(world.decoded)
        #expect(events.map(\.event) == [.requestEscalated] && events[0].request.request.id == request.id)
        try world.store.ok(.sourceUpdate(id: world.source, name: nil, settings: SourceSettings(maxWaitSeconds: 1)))
        #expect(try world.pass(seconds: 5).isEmpty, "a changed max wait does not escalate it again")
    }

    @Test func anOfferThatExpiresPastMaxWaitEscalatesTheRequestInTheSamePass() throws {
        let world = try OfferWorld(operators: 1, limit: 1, timeout: 5, awayAfterMissed: 0)
        try world.store.ok(.sourceUpdate(id: world.source, name: nil, settings: SourceSettings(maxWaitSeconds: 2)))
        let (request, _) = try world.intake()
        #expect(request.status == .offered)
        let events = try world.pass(seconds: 6).map(world.decoded)
        #expect(events.map(\.event) == [.requestOfferDeclined, .requestWaiting, .requestEscalated])
        #expect(try world.request(request.id).priority == 9)
    }

    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own")) func theNextDeadlineIsASeekInEachPartialIndex() throws {
        let store = try makeStore()
        let plan = try store.readSQLite { db in
            try String.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + DeadlineWatch.earliestQuery, adapter: SuffixRowAdapter(fromIndex: 3))
        }
        let searches = plan.filter { $0.hasPrefix("SEARCH requests") }
        #expect(searches.count == 4 && searches[0].contains("requests_offer_deadline") && searches[1].contains("requests_escalation")
                    && searches[2].contains("requests_relax") && searches[3].contains("requests_wrap_up_due"), "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN requests") }, "\(plan)")
    }

    @Test func escalationsDueWhileClosedFireOnceAfterReopening() throws {
        let path = temporaryDatabasePath()
        let clock = Clock()
        do {
            let store = try makeStore(path: path, clock: clock)
            let source = try store.createSource("chat")
            try store.ok(.sourceUpdate(id: source, name: nil, settings: SourceSettings(maxWaitSeconds: 3)))
            for index in 0..<20 { try store.send("u\(index)", source: .id(source)) }
        }
        clock.advance(seconds: 60)
        let reopened = try makeStore(path: path, clock: clock)
        #expect(try reopened.nextDeadline() != nil)
        let escalated = try reopened.apply([]).events.filter { $0.routingKey == "request.escalated" }
        #expect(escalated.count == 20)
        #expect(try reopened.apply([]).events.isEmpty)
        #expect(try reopened.nextDeadline() == nil)
    }
}
