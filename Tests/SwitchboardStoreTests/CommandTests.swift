import Testing
import SwitchboardCore
@testable import SwitchboardStore

@Suite struct OperatorCommandTests {
    @Test func createListGetUpdateToggleDelete() throws {
        let store = try makeStore()
        let ivan = try store.createOperator("Иван Петров", limit: 10)
        let maria = try store.createOperator("Мария Сидорова", limit: 15, active: false)
        guard case let .operators(all) = try store.ok(.operatorList()) else { throw TestFailure("list") }
        #expect(all.map(\.name) == ["Иван Петров", "Мария Сидорова"])
        #expect(all.map(\.isActive) == [true, false])
        #expect(all.allSatisfy { $0.currentLoad == 0 })

        guard case let .operator(updated) = try store.ok(.operatorUpdate(id: ivan, name: "Иван", maxLoadLimit: 12, isActive: nil))
        else { throw TestFailure("update") }
        #expect(updated.name == "Иван")
        #expect(updated.maxLoadLimit == 12)
        #expect(updated.isActive)

        guard case let .operator(toggled) = try store.ok(.operatorToggleActive(id: maria)) else { throw TestFailure("toggle") }
        #expect(toggled.isActive)
        #expect(try store.ok(.operatorDelete(id: maria)) == .deleted(Deleted(deleted: maria)))
        #expect(try store.failure(.operatorGet(id: maria))?.code == .notFound)
    }

    @Test func unknownIdsAreNotFoundNamingTheField() throws {
        let store = try makeStore()
        for command: Command in [.operatorGet(id: 9), .operatorUpdate(id: 9, name: "x", maxLoadLimit: nil, isActive: nil),
                                 .operatorToggleActive(id: 9), .operatorDelete(id: 9)] {
            let error = try #require(try store.failure(command))
            #expect(error.code == .notFound)
            #expect(error.details.map(\.field) == ["id"])
        }
    }

    @Test func deletingAnOperatorWithAssignedRequestsIsAConflict() throws {
        let store = try makeStore()
        let op = try store.createOperator("A", limit: 2)
        let tg = try store.createSource("telegram")
        try store.ok(.sourceSetWeights(sourceId: tg, weights: [Weight(operatorId: op, weight: 10)]))
        guard case let .assigned(requestId, _) = try store.send("u", source: .id(tg)) else { throw TestFailure("not assigned") }
        let before = try store.snapshot()
        #expect(try store.failure(.operatorDelete(id: op))?.code == .conflict)
        #expect(try store.snapshot() == before)
        try store.ok(.requestClose(id: requestId))
        try store.ok(.operatorDelete(id: op))
        // The closed request keeps its history but no longer names a deleted operator.
        #expect(try store.requestNow(requestId).operatorId == nil)
        try store.checkInvariants()
    }

    @Test func aLimitLoweredBelowTheLoadIsAcceptedAndTheOperatorGetsNothingNewUntilUnderIt() throws {
        let store = try makeStore()
        let op = try store.createOperator("A", limit: 3)
        let tg = try store.createSource("telegram")
        try store.ok(.sourceSetWeights(sourceId: tg, weights: [Weight(operatorId: op, weight: 10)]))
        guard case let .assigned(first, _) = try store.send("u1", source: .id(tg)) else { throw TestFailure("not assigned") }
        try store.send("u2", source: .id(tg))
        guard case let .operator(lowered) = try store.ok(.operatorUpdate(id: op, name: nil, maxLoadLimit: 1, isActive: nil)) else {
            throw TestFailure("not an operator")
        }
        #expect(lowered.maxLoadLimit == 1 && lowered.currentLoad == 2)
        guard case let .operatorsLoad(load) = try store.ok(.statsOperatorsLoad) else { throw TestFailure("not a load") }
        #expect(load.operators[0].loadPercentage == 200)
        guard case let .waiting(third) = try store.send("u3", source: .id(tg)) else { throw TestFailure("given over the limit") }
        try store.ok(.requestClose(id: first))
        #expect(try store.requestNow(third).status == .waiting, "still at the lowered limit after one close")
        try store.ok(.requestClose(id: 2))
        #expect(try store.requestNow(third).status == .assigned, "under the limit again")
    }
}

@Suite struct SourceCommandTests {
    @Test func createGetListAndWeights() throws {
        let store = try makeStore()
        let a = try store.createOperator("A", limit: 5)
        let b = try store.createOperator("B", limit: 5)
        let tg = try store.createSource("telegram")
        guard case let .source(set) = try store.ok(.sourceSetWeights(
            sourceId: tg, weights: [Weight(operatorId: b, weight: 30), Weight(operatorId: a, weight: 50)]))
        else { throw TestFailure("weights") }
        #expect(set.weights == [Weight(operatorId: a, weight: 50), Weight(operatorId: b, weight: 30)])
        // set_weights replaces the whole list.
        try store.ok(.sourceSetWeights(sourceId: tg, weights: [Weight(operatorId: b, weight: 70)]))
        guard case let .source(got) = try store.ok(.sourceGet(id: tg)) else { throw TestFailure("get") }
        #expect(got.identifier == "telegram")
        #expect(got.weights == [Weight(operatorId: b, weight: 70)])
        try store.createSource("email")
        guard case let .sources(all) = try store.ok(.sourceList) else { throw TestFailure("list") }
        #expect(all.map(\.identifier) == ["telegram", "email"])
    }

    @Test func takenIdentifierIsAConflictAndChangesNothing() throws {
        let store = try makeStore()
        try store.createSource("telegram")
        let before = try store.snapshot()
        let error = try #require(try store.failure(.sourceCreate(name: "Other", identifier: "telegram")))
        #expect(error.code == .conflict)
        #expect(error.details.map(\.field) == ["identifier"])
        #expect(try store.snapshot() == before)
    }

    @Test func weightsForMissingSourceOrOperatorAreNotFound() throws {
        let store = try makeStore()
        let a = try store.createOperator("A", limit: 5)
        let tg = try store.createSource("telegram")
        try store.ok(.sourceSetWeights(sourceId: tg, weights: [Weight(operatorId: a, weight: 5)]))
        let before = try store.snapshot()
        let missingSource = try #require(try store.failure(.sourceSetWeights(sourceId: 99, weights: [])))
        #expect(missingSource.code == .notFound)
        #expect(missingSource.details.map(\.field) == ["source_id"])
        let missingOperator = try #require(try store.failure(.sourceSetWeights(
            sourceId: tg, weights: [Weight(operatorId: a, weight: 1), Weight(operatorId: 42, weight: 1)])))
        #expect(missingOperator.code == .notFound)
        #expect(missingOperator.details.map(\.field) == ["weights[1].operator_id"])
        #expect(try store.snapshot() == before, "a failed set_weights must keep the old weights")
        #expect(try store.failure(.sourceGet(id: 99))?.code == .notFound)
    }
}

@Suite struct RequestCommandTests {
    /// Two operators on telegram; A has room for one request.
    func setUp() throws -> (SwitchboardStore, a: Int64, b: Int64, tg: Int64) {
        let store = try makeStore()
        let a = try store.createOperator("A", limit: 1)
        let b = try store.createOperator("B", limit: 1, active: false)
        let tg = try store.createSource("telegram")
        try store.ok(.sourceSetWeights(sourceId: tg, weights: [Weight(operatorId: a, weight: 1), Weight(operatorId: b, weight: 1)]))
        return (store, a, b, tg)
    }

    @Test func detailSpellsOutUserSourceAndOperator() throws {
        let (store, a, _, tg) = try setUp()
        guard case let .assigned(id, operatorId) = try store.send("user123@telegram", source: .identifier("telegram"), "Вопрос")
        else { throw TestFailure("not assigned") }
        #expect(operatorId == a)
        guard case let .requestDetail(detail) = try store.ok(.requestGet(id: id)) else { throw TestFailure("detail") }
        #expect(detail.user.identifier == "user123@telegram")
        #expect(detail.source == .init(id: tg, name: "Telegram", identifier: "telegram"))
        #expect(detail.operator == .init(id: a, name: "A"))
        #expect(detail.request.message == "Вопрос")
        #expect(detail.request.status == .assigned)
        #expect(detail.request.assignedAt != nil)
        #expect(try store.failure(.requestGet(id: 999))?.code == .notFound)
    }

    @Test func closeFreesTheSlotAndDrainsTheOldestWaiting() throws {
        let (store, a, _, tg) = try setUp()
        guard case let .assigned(first, _) = try store.send("u1", source: .id(tg)) else { throw TestFailure("1") }
        guard case let .waiting(second) = try store.send("u2", source: .id(tg)) else { throw TestFailure("2") }
        guard case let .waiting(third) = try store.send("u3", source: .id(tg)) else { throw TestFailure("3") }
        let (result, events) = try store.execute(.requestClose(id: first))
        guard case let .request(closed) = try result.get() else { throw TestFailure("close") }
        #expect(closed.status == .closed)
        #expect(closed.closedAt != nil)
        #expect(events.map(\.routingKey) == ["request.closed", "request.assigned"])
        #expect(try store.requestNow(second).operatorId == a, "the oldest waiting request gets the slot")
        #expect(try store.requestNow(third).status == .waiting)
        #expect(try store.failure(.requestClose(id: first))?.code == .conflict)
        try store.checkInvariants()
    }

    @Test func activationAndRaisedLimitDrainTheLine() throws {
        let (store, a, b, tg) = try setUp()
        try store.send("u1", source: .id(tg))
        guard case let .waiting(w1) = try store.send("u2", source: .id(tg)) else { throw TestFailure("w1") }
        guard case let .waiting(w2) = try store.send("u3", source: .id(tg)) else { throw TestFailure("w2") }
        let (_, toggleEvents) = try store.execute(.operatorToggleActive(id: b))
        #expect(toggleEvents.map(\.routingKey) == ["request.assigned"])
        #expect(try store.requestNow(w1).operatorId == b)
        try store.ok(.operatorUpdate(id: a, name: nil, maxLoadLimit: 2, isActive: nil))
        #expect(try store.requestNow(w2).operatorId == a)
        try store.checkInvariants()
    }

    @Test func manualAssignAndItsConflicts() throws {
        let (store, a, b, tg) = try setUp()
        guard case let .assigned(first, _) = try store.send("u1", source: .id(tg)) else { throw TestFailure("1") }
        guard case let .waiting(second) = try store.send("u2", source: .id(tg)) else { throw TestFailure("2") }
        let before = try store.snapshot()
        let inactive = try #require(try store.failure(.requestAssign(id: second, operatorId: b)))
        #expect(inactive.code == .conflict)
        #expect(inactive.details.map(\.field) == ["operator_id"])
        #expect(try store.failure(.requestAssign(id: second, operatorId: a))?.code == .conflict, "A is full")
        #expect(try store.failure(.requestAssign(id: second, operatorId: nil))?.code == .conflict, "nobody eligible")
        #expect(try store.failure(.requestAssign(id: second, operatorId: 77))?.code == .notFound)
        #expect(try store.failure(.requestAssign(id: 77, operatorId: a))?.code == .notFound)
        #expect(try store.snapshot() == before)
        // Reassigning the first request to B (once active) frees A, and the line drains to A.
        try store.ok(.operatorUpdate(id: b, name: nil, maxLoadLimit: 2, isActive: true))
        #expect(try store.requestNow(second).operatorId == b, "activation drained the line to B")
        guard case let .request(moved) = try store.ok(.requestAssign(id: first, operatorId: b)) else { throw TestFailure("move") }
        #expect(moved.operatorId == b)
        #expect(try store.operatorNow(a).currentLoad == 0)
        #expect(try store.operatorNow(b).currentLoad == 2)
        try store.ok(.requestClose(id: first))
        #expect(try store.failure(.requestAssign(id: first, operatorId: a))?.code == .conflict, "closed")
        try store.checkInvariants()
    }

    @Test func listFiltersAndPages() throws {
        let (store, a, _, tg) = try setUp()
        let email = try store.createSource("email")
        try store.send("u1", source: .id(tg))
        for n in 2...6 { try store.send("u\(n)", source: .id(email)) }
        func list(_ filter: RequestFilter) throws -> [Request] {
            guard case let .requests(found) = try store.ok(.requestList(filter)) else { throw TestFailure("list") }
            return found
        }
        #expect(try list(RequestFilter()).map(\.id) == [1, 2, 3, 4, 5, 6])
        #expect(try list(RequestFilter(status: .waiting)).count == 5)
        #expect(try list(RequestFilter(operatorId: a)).map(\.id) == [1])
        #expect(try list(RequestFilter(sourceId: email, limit: 2)).map(\.id) == [2, 3])
        #expect(try list(RequestFilter(sourceId: email, limit: 2, afterId: 3)).map(\.id) == [4, 5])
    }
}

@Suite struct StatisticsTests {
    @Test func loadAndDistribution() throws {
        let store = try makeStore()
        let a = try store.createOperator("A", limit: 3)
        let b = try store.createOperator("B", limit: 4)
        let tg = try store.createSource("telegram")
        let email = try store.createSource("email")
        try store.ok(.sourceSetWeights(sourceId: tg, weights: [Weight(operatorId: a, weight: 1)]))
        for n in 0..<2 { try store.send("t\(n)", source: .id(tg)) }
        try store.send("e", source: .id(email))
        guard case let .operatorsLoad(load) = try store.ok(.statsOperatorsLoad) else { throw TestFailure("load") }
        #expect(load.operators.map(\.currentLoad) == [2, 0])
        #expect(load.operators.map(\.loadPercentage) == [66.67, 0])
        guard case let .distribution(dist) = try store.ok(.statsRequestsDistribution) else { throw TestFailure("dist") }
        #expect(dist.byOperator.map(\.requestCount) == [2, 0])
        #expect(dist.bySource.map(\.requestCount) == [2, 1])
        #expect(dist.unassignedCount == 1)
        guard case let .status(status) = try store.ok(.serviceStatus) else { throw TestFailure("status") }
        #expect(status.waitingCount == 1)
        #expect(status.outboxPending == 3, "three intake events are unsent")
        _ = b
    }
}
