import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// A store with one chat source (its wrap-up as given) and one operator with room for one.
struct WrapUpWorld {
    let clock = Clock()
    let store: SwitchboardStore
    let source: Int64
    let op: Int64

    init(wrapUpSeconds: Int, path: String? = nil, capacity: ChannelCapacity = [:]) throws {
        store = try makeStore(path: path, clock: clock)
        guard case let .source(made) = try store.ok(.sourceCreate(
            name: "Chat", identifier: "chat", settings: SourceSettings(channel: "chat", wrapUpSeconds: wrapUpSeconds)))
        else { throw TestFailure("no source") }
        source = made.id
        guard case let .operator(created) = try store.ok(.operatorCreate(
            name: "Ann", maxLoadLimit: 1, isActive: true, settings: OperatorSettings(capacity: capacity)))
        else { throw TestFailure("no operator") }
        op = created.id
        try store.ok(.sourceSetWeights(sourceId: source, weights: [Weight(operatorId: op, weight: 1)]))
    }

    func intake(_ user: String) throws -> Int64 {
        switch try store.send(user, source: .id(source)) {
        case let .assigned(id, _), let .waiting(id), let .offered(id, _): id
        default: throw TestFailure("intake refused")
        }
    }

    func close(_ id: Int64, wrapUpSeconds: Int? = nil) throws -> Request {
        guard case let .request(closed) = try store.ok(.requestClose(id: id, wrapUpSeconds: wrapUpSeconds)) else {
            throw TestFailure("not a request")
        }
        return closed
    }

    /// Lets time pass and the writer handle what fell due, as an idle service does.
    func pass(seconds: Int) throws { clock.advance(seconds: seconds); _ = try store.apply([]) }
}

@Suite struct WrapUpStoreTests {
    @Test func theSlotStaysTakenUntilTheWrapUpEndsAndTheLineIsServedThen() throws {
        let world = try WrapUpWorld(wrapUpSeconds: 60)
        let first = try world.intake("u1")
        let second = try world.intake("u2")
        #expect(try world.store.requestNow(second).status == .waiting)
        let closed = try world.close(first)
        let until = try #require(closed.wrapUpUntil)
        #expect(until.milliseconds == closed.closedAt!.milliseconds + 60_000)
        var op = try world.store.operatorNow(world.op)
        #expect((op.currentLoad, op.wrapUpCount, op.wrapUpUntil) == (1, 1, until))
        #expect(try world.store.nextDeadline() == until)

        try world.pass(seconds: 59)
        #expect(try world.store.requestNow(second).status == .waiting, "served before the wrap-up ended")
        try world.pass(seconds: 1)
        #expect(try world.store.requestNow(second).status == .assigned)
        #expect(try world.store.requestNow(first).wrapUpUntil == until, "the closed request keeps when its wrap-up ended")
        op = try world.store.operatorNow(world.op)
        #expect((op.currentLoad, op.wrapUpCount, op.wrapUpUntil) == (1, 0, nil))
        try world.store.checkInvariants()
    }

    @Test func theCloseCommandsWrapUpOverridesTheSourcesAndZeroFreesTheSlotAtOnce() throws {
        let world = try WrapUpWorld(wrapUpSeconds: 60)
        let first = try world.intake("u1")
        let second = try world.intake("u2")
        let closed = try world.close(first, wrapUpSeconds: 0)
        #expect(closed.wrapUpUntil == nil)
        #expect(try world.store.requestNow(second).status == .assigned)
        let third = try world.intake("u3")
        let longer = try world.close(second, wrapUpSeconds: 90)
        #expect(longer.wrapUpUntil?.milliseconds == longer.closedAt!.milliseconds + 90_000)
        try world.pass(seconds: 60)
        #expect(try world.store.requestNow(third).status == .waiting)
        try world.pass(seconds: 30)
        #expect(try world.store.requestNow(third).status == .assigned)
        try world.store.checkInvariants()
    }

    @Test func endingTheWrapUpByHandFreesTheSlotAtOnceAndServesTheLine() throws {
        let world = try WrapUpWorld(wrapUpSeconds: 600)
        let first = try world.intake("u1")
        let second = try world.intake("u2")
        _ = try world.close(first)
        world.clock.advance(seconds: 5)
        let (result, events) = try world.store.execute(.operatorEndWrapUp(id: world.op))
        guard case let .operator(op) = try result.get() else { throw TestFailure("not an operator") }
        #expect(op.wrapUpCount == 0)
        #expect(events.map(\.routingKey) == ["request.assigned"])
        #expect(try world.store.requestNow(second).status == .assigned)
        let closed = try world.store.requestNow(first)
        let ended = try #require(closed.wrapUpUntil)
        #expect(ended.milliseconds < closed.closedAt!.milliseconds + 600_000, "ended early")
        #expect(try world.store.nextDeadline() == nil, "the wrap-up's deadline went with it")
        try world.store.checkInvariants()
    }

    @Test func endingWrapUpsOfAnOperatorWithoutAnyChangesNothingAndAnUnknownOneIsNotFound() throws {
        let world = try WrapUpWorld(wrapUpSeconds: 60)
        let before = try world.store.snapshot(excludingOutbox: true)
        let unchanged = try world.store.operatorNow(world.op)
        #expect(try world.store.ok(.operatorEndWrapUp(id: world.op)).operatorValue == unchanged)
        #expect(try world.store.snapshot(excludingOutbox: true) == before)
        let missing = try world.store.failure(.operatorEndWrapUp(id: 99))
        #expect(missing?.code == .notFound)
        #expect(missing?.details.map(\.field) == ["id"])
    }

    @Test func aWrapUpCountsOnItsChannelsCapacity() throws {
        let world = try WrapUpWorld(wrapUpSeconds: 30, capacity: ["chat": 1])
        try world.store.ok(.operatorUpdate(id: world.op, name: nil, maxLoadLimit: 5, isActive: nil))
        let first = try world.intake("u1")
        _ = try world.close(first)
        #expect(try world.store.operatorNow(world.op).loadByChannel == ["chat": 1])
        let second = try world.intake("u2")
        #expect(try world.store.requestNow(second).status == .waiting, "the chat slot is still taken")
        try world.pass(seconds: 30)
        #expect(try world.store.requestNow(second).status == .assigned)
        try world.store.checkInvariants()
    }

    @Test func aWrapUpDueWhileTheStoreWasClosedEndsOnceAfterReopening() throws {
        let path = temporaryDatabasePath()
        let clock: Clock
        let second: Int64
        do {
            let world = try WrapUpWorld(wrapUpSeconds: 20, path: path)
            clock = world.clock
            let first = try world.intake("u1")
            second = try world.intake("u2")
            _ = try world.close(first)
        }
        clock.advance(seconds: 60)
        let reopened = try makeStore(path: path, clock: clock)
        #expect(try reopened.nextDeadline() != nil)
        let events = try reopened.apply([]).events.map(\.routingKey)
        #expect(events == ["request.assigned"])
        #expect(try reopened.requestNow(second).status == .assigned)
        #expect(try reopened.apply([]).events.isEmpty, "the wrap-up ended once")
        #expect(try reopened.operatorNow(1).currentLoad == 1)
        try reopened.checkInvariants()
    }

    @Test func aRequestStaysUnpurgedWhileItsWrapUpRuns() throws {
        let world = try WrapUpWorld(wrapUpSeconds: 120)
        let first = try world.intake("u1")
        _ = try world.close(first)
        world.clock.advance(seconds: 10)
        guard case let .purge(summary) = try world.store.ok(.requestPurge(closedBefore: world.clock.tick(), dryRun: false)) else {
            throw TestFailure("not a purge")
        }
        #expect((summary.purged, summary.remaining) == (0, 0))
        try world.pass(seconds: 120)
        guard case let .purge(after) = try world.store.ok(.requestPurge(closedBefore: world.clock.tick(), dryRun: false)) else {
            throw TestFailure("not a purge")
        }
        #expect(after.purged == 1)
        try world.store.checkInvariants()
    }
}

extension CommandResult {
    var operatorValue: Operator? { if case let .operator(found) = self { found } else { nil } }
}
