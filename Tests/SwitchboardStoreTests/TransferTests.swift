import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// Ann (billing 3) and Bob (billing 1, delivery 2) weighted on one chat source; Cleo, with
/// no weight, skills or room problems, is the colleague a request may be handed to.
struct TransferWorld {
    let clock = Clock()
    let store: SwitchboardStore
    let source: Int64
    let ann: Int64, bob: Int64, cleo: Int64

    init(offerTimeout: Int = 0) throws {
        store = try makeStore(clock: clock)
        guard case let .source(made) = try store.ok(.sourceCreate(
            name: "Chat", identifier: "chat", settings: SourceSettings(offerTimeoutSeconds: offerTimeout, channel: "chat")))
        else { throw TestFailure("no source") }
        source = made.id
        let store = store
        func create(_ name: String, _ skills: Skills, limit: Int = 3) throws -> Int64 {
            guard case let .operator(op) = try store.ok(.operatorCreate(name: name, maxLoadLimit: limit, isActive: true,
                                                                       settings: OperatorSettings(skills: skills)))
            else { throw TestFailure("no operator") }
            return op.id
        }
        let (ann, bob) = (try create("Ann", ["billing": 3]), try create("Bob", ["billing": 1, "delivery": 2]))
        (self.ann, self.bob, cleo) = (ann, bob, try create("Cleo", [:]))
        try store.ok(.sourceSetWeights(sourceId: source, weights: [Weight(operatorId: ann, weight: 1), Weight(operatorId: bob, weight: 1)]))
    }

    /// A request assigned by hand to `op`, a few seconds old.
    func assigned(to op: Int64, priority: Int = 0) throws -> Request {
        let (outcome, _) = try store.intake(IntakeMessage(userIdentifier: "u\(op)-\(priority)", source: .id(source), message: "m",
                                                          priority: priority))
        guard case let .assigned(id, holder) = outcome else { throw TestFailure("not assigned: \(outcome)") }
        if holder != op { try store.ok(.requestAssign(id: id, operatorId: op)) }
        clock.advance(seconds: 5)
        return try store.requestNow(id)
    }

    func transfer(_ id: Int64, to target: TransferTarget, reason: String? = nil) throws -> (Request, [Event]) {
        let (result, events) = try store.execute(.requestTransfer(id: id, to: target, reason: reason))
        guard case let .request(request) = try result.get() else { throw TestFailure("not a request") }
        return (request, try events.map { try JSONDecoder().decode(Event.self, from: Data($0.body)) })
    }
}

@Suite struct TransferTests {
    @Test func toAColleagueTheRequestMovesKeepingItsAgePriorityAndFirstAssignment() throws {
        let world = try TransferWorld()
        let before = try world.assigned(to: world.ann, priority: 4)
        let (after, events) = try world.transfer(before.id, to: .operator(world.cleo), reason: "she knows this customer")
        #expect(events.map(\.event) == [.requestTransferred, .requestAssigned])
        #expect(events[0].transfer == TransferNote(fromOperatorId: world.ann, toOperatorId: world.cleo, reason: "she knows this customer"))
        #expect(events[1].route == .manual)
        #expect(after.operatorId == world.cleo && after.status == .assigned && after.transferCount == 1)
        #expect(after.createdAt == before.createdAt && after.priority == 4)
        #expect(before.firstAssignedAt != nil && after.firstAssignedAt == before.firstAssignedAt && after.assignedAt! > before.assignedAt!)
        #expect(try world.store.operatorNow(world.ann).currentLoad == 0 && world.store.operatorNow(world.cleo).currentLoad == 1)
        try world.store.checkInvariants()
    }

    @Test func toRequirementsItTakesThemAndNeverGoesBackToTheOperatorItLeft() throws {
        let world = try TransferWorld()
        let request = try world.assigned(to: world.ann)
        let (moved, events) = try world.transfer(request.id, to: .requirements([Requirement(skill: "billing")]))
        #expect(events.map(\.event) == [.requestTransferred, .requestAssigned])
        #expect(events[0].transfer?.toOperatorId == nil)
        #expect(moved.operatorId == world.bob, "Ann has billing too, but it left her")
        #expect(moved.requires == [Requirement(skill: "billing")])
        try world.store.checkInvariants()
    }

    @Test func toRequirementsOnlyTheOperatorItLeftMeetsItWaitsAndStaysOffHerWhileItWaits() throws {
        let world = try TransferWorld()
        let request = try world.assigned(to: world.ann)
        let (moved, events) = try world.transfer(request.id, to: .requirements([Requirement(skill: "billing", minLevel: 3)]))
        #expect(events.map(\.event) == [.requestTransferred, .requestWaiting])
        #expect(moved.status == .waiting && moved.operatorId == nil)
        // Ann's slot is free and she qualifies, yet a change that serves the line passes her by.
        try world.store.ok(.operatorUpdate(id: world.ann, name: nil, maxLoadLimit: 4, isActive: nil))
        #expect(try world.store.requestNow(request.id).status == .waiting)
        // Someone else qualifying takes it; from then on it is an ordinary request.
        try world.store.ok(.operatorUpdate(id: world.bob, name: nil, maxLoadLimit: nil, isActive: nil,
                                           settings: OperatorSettings(skills: ["billing": 3])))
        #expect(try world.store.requestNow(request.id).operatorId == world.bob)
        try world.store.checkInvariants()
    }

    @Test func everyRefusalNamesWhyAndLeavesEverythingAsItWas() throws {
        let world = try TransferWorld()
        let request = try world.assigned(to: world.ann)
        let waiting = try world.assigned(to: world.bob)
        try world.store.ok(.requestClose(id: waiting.id))
        let busy = try world.assigned(to: world.bob)
        try world.store.ok(.operatorUpdate(id: world.bob, name: nil, maxLoadLimit: 1, isActive: nil))
        try world.store.ok(.operatorSetPresence(id: world.cleo, presence: .away, requeue: false))
        let before = try world.store.snapshot(excludingOutbox: true)
        let refusals: [(TransferTarget, Int64, CommandError.Code, String)] = [
            (.operator(99), request.id, .notFound, "operator_id"),
            (.operator(world.cleo), request.id, .conflict, "operator_id"),
            (.operator(world.bob), request.id, .conflict, "operator_id"),
            (.operator(world.ann), request.id, .conflict, "operator_id"),
            (.operator(world.ann), waiting.id, .conflict, "id"),
            (.requirements([]), 999, .notFound, "id"),
        ]
        for (target, id, code, field) in refusals {
            let error = try #require(try world.store.failure(.requestTransfer(id: id, to: target, reason: nil)), "\(target) of \(id)")
            #expect(error.code == code && error.details.map(\.field) == [field], "\(target) of \(id): \(error)")
        }
        #expect(try world.store.failure(.requestTransfer(id: request.id, to: .operator(world.cleo), reason: nil))?.message
                == "operator \(world.cleo) is away")
        #expect(try world.store.failure(.requestTransfer(id: request.id, to: .operator(world.bob), reason: nil))?.message
                == "operator \(world.bob) is at its load limit (1)")
        #expect(try world.store.snapshot(excludingOutbox: true) == before)
        _ = busy
    }

    @Test func withOffersOnTheColleagueGetsAnOfferAndAnUnacceptedOneGoesByTheRequirements() throws {
        let world = try TransferWorld(offerTimeout: 30)
        let (outcome, _) = try world.store.intake(IntakeMessage(userIdentifier: "u", source: .id(world.source), message: "m"))
        guard case let .offered(id, holder) = outcome else { throw TestFailure("not offered") }
        try world.store.ok(.requestAccept(id: id, operatorId: holder))
        let (offered, events) = try world.transfer(id, to: .operator(world.cleo))
        #expect(events.map(\.event) == [.requestTransferred, .requestOffered])
        #expect(offered.status == .offered && offered.operatorId == world.cleo)
        world.clock.advance(seconds: 31)
        let after = try world.store.apply([]).events.map(\.routingKey)
        #expect(after.contains("request.offer_declined") && after.contains("request.offered"))
        let now = try world.store.requestNow(id)
        #expect(now.operatorId != holder && now.operatorId != world.cleo, "routed by its requirements, not back to whom it left")
        try world.store.checkInvariants()
    }

    @Test func theServiceLevelMeasuresTheFirstAssignment() throws {
        let world = try TransferWorld()
        let request = try world.assigned(to: world.ann)
        world.clock.advance(seconds: 600)
        _ = try world.transfer(request.id, to: .operator(world.cleo))
        guard case let .serviceLevel(level) = try world.store.ok(.statsServiceLevel(ServiceLevelQuery(thresholdsSeconds: [1])))
        else { throw TestFailure("not a service level") }
        #expect(level.overall.within.first?.share == 1, "assigned at once, though transferred ten minutes later")
    }
}
