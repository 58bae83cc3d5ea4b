import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// A source `chat` and operators made with the skills and capacities given, all weighted.
struct SkillWorld {
    let clock = Clock()
    let store: SwitchboardStore
    let source: Int64
    var operators: [Int64] = []

    init(_ operators: [(skills: Skills, capacity: ChannelCapacity)], limit: Int = 5, settings: SourceSettings = SourceSettings(channel: "chat"),
         path: String? = nil) throws {
        store = try makeStore(path: path, clock: clock)
        guard case let .source(made) = try store.ok(.sourceCreate(name: "Chat", identifier: "chat", settings: settings)) else {
            throw TestFailure("no source")
        }
        source = made.id
        for (index, op) in operators.enumerated() {
            guard case let .operator(created) = try store.ok(.operatorCreate(
                name: "op\(index)", maxLoadLimit: limit, isActive: true, settings: OperatorSettings(skills: op.skills, capacity: op.capacity)))
            else { throw TestFailure("no operator") }
            self.operators.append(created.id)
        }
        try store.ok(.sourceSetWeights(sourceId: source, weights: self.operators.map { Weight(operatorId: $0, weight: 10) }))
    }

    func send(_ requires: [Requirement]?, user: String = "u") throws -> (IntakeOutcome, [Event]) {
        let (outcome, events) = try store.intake(IntakeMessage(userIdentifier: user, source: .id(source), message: "hola", requires: requires))
        return (outcome, try events.map(Self.decode))
    }

    func run(_ command: Command) throws -> [Event] {
        let (result, events) = try store.execute(command)
        _ = try result.get()
        return try events.filter { $0.routingKey.hasPrefix("request.") }.map(Self.decode)
    }

    func pass(seconds: Int) throws -> [Event] {
        clock.advance(seconds: seconds)
        return try store.apply([]).events.map(Self.decode)
    }

    static func decode(_ event: OutboxEvent) throws -> Event { try JSONDecoder().decode(Event.self, from: Data(event.body)) }
}

@Suite struct SkillRoutingTests {
    @Test func aRequestGoesOnlyToAnOperatorWithEveryRequiredSkillAtItsLevel() throws {
        let world = try SkillWorld([(["lang.es": 5, "billing": 1], [:]), (["lang.es": 3, "billing": 3], [:]), (["billing": 5], [:])])
        for n in 0..<20 {
            let (outcome, events) = try world.send([Requirement(skill: "lang.es", minLevel: 3), Requirement(skill: "billing", minLevel: 3)],
                                                   user: "u\(n)")
            guard case let .assigned(_, operatorId) = outcome else { throw TestFailure("not assigned: \(outcome)") }
            #expect(operatorId == world.operators[1])
            #expect(events[0].request.request.requires.map(\.skill) == ["lang.es", "billing"])
            _ = try world.run(.requestClose(id: events[0].request.request.id))
        }
    }

    @Test func aSourcesRequirementsApplyWhenIntakeNamesNone() throws {
        let world = try SkillWorld([([:], [:]), (["billing": 2], [:])],
                                   settings: SourceSettings(channel: "chat", requires: [Requirement(skill: "billing", minLevel: 2)]))
        guard case let .assigned(_, operatorId) = try world.send(nil).0 else { throw TestFailure("not assigned") }
        #expect(operatorId == world.operators[1])
        // Intake's own list replaces the source's, even an empty one.
        guard case let .assigned(_, second) = try world.send([], user: "v").0 else { throw TestFailure("not assigned") }
        #expect(world.operators.contains(second))
    }

    @Test func aRequestNobodyCanServeNamesTheSkillAndIsServedTheMomentSomeoneLearnsIt() throws {
        let world = try SkillWorld([(["billing": 5], [:])])
        let (outcome, events) = try world.send([Requirement(skill: "lang.de", minLevel: 2)])
        guard case let .waiting(id) = outcome else { throw TestFailure("not waiting") }
        #expect(events.map(\.event) == [.requestWaiting])
        #expect(events[0].unmatched == ["lang.de"])
        guard case let .status(status) = try world.store.ok(.serviceStatus) else { throw TestFailure("no status") }
        #expect(status.unmatchedWaiting == 1)
        // A level too low still leaves it unmatched; the level required serves it at once.
        #expect(try world.run(.operatorUpdate(id: world.operators[0], name: nil, maxLoadLimit: nil, isActive: nil,
                                              settings: OperatorSettings(skills: ["lang.de": 1])))
            .isEmpty)
        let served = try world.run(.operatorUpdate(id: world.operators[0], name: nil, maxLoadLimit: nil, isActive: nil,
                                                   settings: OperatorSettings(skills: ["lang.de": 2])))
        #expect(served.map(\.event) == [.requestAssigned] && served[0].request.request.id == id)
        guard case let .status(after) = try world.store.ok(.serviceStatus) else { throw TestFailure("no status") }
        #expect(after.unmatchedWaiting == 0)
    }

    @Test func aRequirementRelaxesAtItsTimeOnceAndTheRequestIsRoutedAtOnce() throws {
        let world = try SkillWorld([(["billing": 1], [:])])
        let (outcome, _) = try world.send([Requirement(skill: "lang.es", minLevel: 3, relaxAfterSeconds: 60),
                                           Requirement(skill: "billing", minLevel: 1)])
        guard case let .waiting(id) = outcome else { throw TestFailure("not waiting") }
        #expect(try world.pass(seconds: 59).isEmpty, "relaxed early")
        let fired = try world.pass(seconds: 1)
        #expect(fired.map(\.event) == [.requestRelaxed, .requestAssigned])
        #expect(fired.first?.dropped == ["lang.es"])
        #expect(fired.last?.request.request.relaxed == ["lang.es"] && fired.last?.request.request.id == id)
        #expect(try world.pass(seconds: 3_600).isEmpty, "relaxed twice")
    }

    @Test func aRelaxTimeDueWhileTheStoreWasClosedFiresOnceAfterReopening() throws {
        let path = temporaryDatabasePath()
        var id: Int64 = 0
        do {
            let world = try SkillWorld([([:], [:])], path: path)
            guard case let .waiting(made) = try world.send([Requirement(skill: "lang.es", relaxAfterSeconds: 5)]).0 else {
                throw TestFailure("not waiting")
            }
            id = made
        }
        // A later clock, as after a crash and a restart some time on.
        let clock = Clock()
        clock.advance(seconds: 10)
        do {
            let reopened = try makeStore(path: path, clock: clock)
            let events = try reopened.apply([]).events.map(SkillWorld.decode)
            #expect(events.map(\.event) == [.requestRelaxed, .requestAssigned] && events[0].request.request.id == id)
            #expect(try reopened.apply([]).events.isEmpty)
        }
        let again = try makeStore(path: path, clock: clock)
        #expect(try again.apply([]).events.isEmpty, "fired again after a second opening")
    }

    @Test func aChannelCapacityCapsItsWorkAndZeroMeansNoneOfIt() throws {
        let world = try SkillWorld([([:], ["chat": 1]), ([:], ["chat": 0])], limit: 5)
        guard case let .assigned(_, first) = try world.send(nil).0 else { throw TestFailure("not assigned") }
        #expect(first == world.operators[0])
        guard case .waiting = try world.send(nil, user: "v").0 else { throw TestFailure("over the chat capacity") }
        guard case let .operator(op) = try world.store.ok(.operatorGet(id: first)) else { throw TestFailure("no operator") }
        #expect(op.loadByChannel == ["chat": 1])
        guard case let .operatorsLoad(load) = try world.store.ok(.statsOperatorsLoad) else { throw TestFailure("no load") }
        #expect(load.operators[0].byChannel == [ChannelLoad(channel: "chat", load: 1, capacity: 1)])
        #expect(load.operators[1].byChannel == [ChannelLoad(channel: "chat", load: 0, capacity: 0)])
    }

    @Test func aCapacityLoweredBelowTheLoadIsAcceptedAndNothingNewComesUntilUnderIt() throws {
        let world = try SkillWorld([([:], ["chat": 3])])
        let held = try (0..<2).map { n -> Int64 in
            guard case let .assigned(id, _) = try world.send(nil, user: "u\(n)").0 else { throw TestFailure("not assigned") }
            return id
        }
        _ = try world.run(.operatorUpdate(id: world.operators[0], name: nil, maxLoadLimit: nil, isActive: nil,
                                          settings: OperatorSettings(capacity: ["chat": 1])))
        guard case let .waiting(third) = try world.send(nil, user: "w").0 else { throw TestFailure("given over the capacity") }
        #expect(try world.run(.requestClose(id: held[0])).map(\.event) == [.requestClosed], "at the lowered capacity still")
        let served = try world.run(.requestClose(id: held[1]))
        #expect(served.map(\.event) == [.requestClosed, .requestAssigned] && served[1].request.request.id == third)
    }

    @Test func leastLoadedTakesTheLowestShareAndLongestIdleTheOldestAssignment() throws {
        let least = try SkillWorld([([:], [:]), ([:], [:])], limit: 4, settings: SourceSettings(channel: "chat", strategy: .leastLoaded))
        var routes: [Route?] = []
        for n in 0..<4 {
            let (_, events) = try least.send(nil, user: "u\(n)")
            routes.append(events[0].route)
        }
        #expect(routes.allSatisfy { $0 == .leastLoaded })
        #expect(try least.store.operatorNow(least.operators[0]).currentLoad == 2)
        #expect(try least.store.operatorNow(least.operators[1]).currentLoad == 2)

        let idle = try SkillWorld([([:], [:]), ([:], [:]), ([:], [:])], limit: 9,
                                  settings: SourceSettings(channel: "chat", strategy: .longestIdle))
        var order: [Int64] = []
        for n in 0..<6 {
            guard case let .assigned(_, operatorId) = try idle.send(nil, user: "u\(n)").0 else { throw TestFailure("not assigned") }
            order.append(operatorId)
        }
        // Never assigned first, then round the floor by oldest latest assignment.
        #expect(Array(order.prefix(3)).sorted() == idle.operators && Array(order.suffix(3)) == Array(order.prefix(3)))
    }

    @Test func overflowLiftsTheWeightNeverARequirement() throws {
        let world = try SkillWorld([(["billing": 1], [:])], settings: SourceSettings(maxWaitSeconds: 1, overflow: true, channel: "chat"))
        _ = try world.run(.operatorToggleActive(id: world.operators[0]))
        let unweighted = try world.store.createOperator("plain", limit: 5)
        guard case .waiting = try world.send([Requirement(skill: "billing")]).0 else { throw TestFailure("not waiting") }
        let escalated = try world.pass(seconds: 2)
        #expect(escalated.map(\.event) == [.requestEscalated], "overflowed to \(unweighted) without the skill")
        _ = try world.run(.operatorUpdate(id: unweighted, name: nil, maxLoadLimit: nil, isActive: nil,
                                          settings: OperatorSettings(skills: ["billing": 1])))
        guard case let .requests(assigned) = try world.store.ok(.requestList(RequestFilter(status: .assigned))) else {
            throw TestFailure("no list")
        }
        #expect(assigned.map(\.operatorId) == [unweighted])
    }
}

@Suite struct LinePartsTests {
    @Test func partsNobodyServesAreForgottenOnceTheSetHasDoubledAndReadAgainFromTheIndex() throws {
        let world = try SkillWorld([([:], [:])])
        guard case .waiting = try world.send([Requirement(skill: "lang.de")]).0 else { throw TestFailure("not waiting") }
        var parts = LineParts()
        let stored = try world.store.read { try parts.all($0) }
        #expect(stored == [LineKey(sourceId: world.source, escalated: false, requirements: [Requirement(skill: "lang.de")])])
        // Keys noted but never found in the index (their requests long gone) pile up only so far.
        for n in 0..<200 { parts.noteWaiting(LineKey(sourceId: 99, escalated: false, requirements: [Requirement(skill: "s\(n)")])) }
        #expect(try world.store.read { try parts.all($0) }.count == 201, "kept while under twice the last read and 256")
        for n in 200..<300 { parts.noteWaiting(LineKey(sourceId: 99, escalated: false, requirements: [Requirement(skill: "s\(n)")])) }
        #expect(try world.store.read { try parts.all($0) } == stored, "read again from the index")
    }
}
