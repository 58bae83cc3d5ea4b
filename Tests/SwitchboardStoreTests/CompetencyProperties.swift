import Foundation
import PropertyBased
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// One step of a generated day on a ``CompetencyFloor``; `a` and `b` pick targets modulo
/// what exists.
struct FloorStep: Sendable, CustomStringConvertible {
    var kind: Int
    var a: Int
    var b: Int
    var description: String { "(\(kind),\(a),\(b))" }

    func item(on floor: inout CompetencyFloor) throws -> WorkItem {
        let op = floor.operators[a % floor.operators.count]
        let source = floor.sources[b % floor.sources.count]
        let open = try floor.store.read { db in
            try SQLRow.fetchAll(db, sql: "SELECT id, operator_id FROM requests WHERE status = 'assigned' OR status = 'offered' ORDER BY id")
        }
        let held = open.isEmpty ? nil : open[b % open.count]
        switch kind {
        case 0, 1, 2, 3:
            let requires = a % 3 == 0 ? nil : floor.randomRequirements()
            return .intake(IntakeMessage(userIdentifier: "u\(a % 9)", source: .id(source), message: "m", priority: b % 10,
                                         requires: requires), messageId: nil)
        case 4:
            // Some closings keep the operator's slot for a wrap-up, which the clock's steps end.
            guard let held else { return .command(.serviceStatus) }
            return .command(.requestClose(id: held[0], wrapUpSeconds: a % 3 == 0 ? nil : a % 20))
        case 5:
            floor.clock.advance(seconds: 1 + a % 15)
            return .command(.serviceStatus)
        case 6: return .command(.operatorSetPresence(id: op, presence: Presence.allCases[b % 3], requeue: b % 6 == 2))
        case 7: return .command(.operatorToggleActive(id: op))
        case 10: return .command(.operatorEndWrapUp(id: op))
        case 11:
            // Refused when the request is on offer or the colleague has no room: nothing changes then.
            guard let held else { return .command(.serviceStatus) }
            return .command(.requestTransfer(id: held[0], to: a % 2 == 0 ? .operator(op) : .requirements(floor.randomRequirements()),
                                             reason: nil))
        case 8:
            guard let held, let holder = held[1] as Int64? else { return .command(.serviceStatus) }
            return .command(a % 2 == 0 ? .requestAccept(id: held[0], operatorId: holder)
                                       : .requestReject(id: held[0], operatorId: holder, reason: nil))
        default:
            // New skills, and capacities never below what the operator holds (lowering one is its own test).
            let loads = try floor.store.operatorNow(op).loadByChannel
            var capacity = floor.randomCapacity()
            for (channel, cap) in capacity { capacity[channel] = max(cap, loads[channel] ?? 0) }
            return .command(.operatorUpdate(id: op, name: nil, maxLoadLimit: nil, isActive: nil,
                                            settings: OperatorSettings(skills: floor.randomSkills(), capacity: capacity)))
        }
    }
}

@Suite struct CompetencyProperties {
    static let steps = zip(Gen.int(in: 0...11), Gen.int(in: 0...1_000), Gen.int(in: 0...1_000))
        .map { FloorStep(kind: $0.0, a: $0.1, b: $0.2) }
        .array(of: 1...50)

    @Test func randomFloorsKeepEveryCompetencyLaw() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...1_000_000), Self.steps) { seed, steps in
            var floor = try CompetencyFloor(seed: UInt64(seed))
            for step in steps {
                let before = try floor.state()
                let item = try step.item(on: &floor)
                // An accept takes up an offer made earlier, to the skills the operator had then.
                let accepting = if case .command(.requestAccept, _, _) = item { true } else { false }
                let events = try floor.store.apply([item]).events.filter { $0.routingKey.hasPrefix("request.") }
                    .map { try JSONDecoder().decode(Event.self, from: Data($0.body)) }
                    .filter { !(accepting && $0.event == .requestAssigned) }
                try Self.checkPicks(events, before: before, after: floor.state(), intake: step.kind < 4)
                try Self.checkCapacities(floor.state())
                try Self.checkNobodyEligibleIsIdle(floor)
                try floor.store.checkInvariants()
            }
        }
    }

    /// No request goes to an operator lacking a requirement in force; on intake, `least_loaded`
    /// picks a minimal load share and `longest_idle` the oldest latest assignment.
    static func checkPicks(_ events: [Event], before: CompetencyFloor.State, after: CompetencyFloor.State, intake: Bool) throws {
        for event in events where event.event == .requestAssigned || event.event == .requestOffered {
            let request = event.request.request
            guard event.route != .manual, let operatorId = request.operatorId else { continue }
            let skills = after.operators.first { $0.id == operatorId }?.skills ?? [:]
            for requirement in Requirement.inForce(request.requires, relaxed: request.relaxed) {
                #expect(requirement.isMet(by: skills), "request \(request.id) went to operator \(operatorId) without \(requirement)")
            }
            guard intake, event.route == .leastLoaded || event.route == .longestIdle else { continue }
            let eligible = before.eligible(source: request.sourceId, requirements: request.requires, escalated: false)
            let chosen = try #require(eligible.first { $0.id == operatorId }, "picked an operator not eligible before")
            if event.route == .leastLoaded {
                func share(_ op: CompetencyFloor.State.Op) -> Double { Double(op.availability.load) / Double(op.availability.limit) }
                #expect(eligible.allSatisfy { share($0) >= share(chosen) }, "least_loaded picked \(operatorId) over a lower share")
            } else {
                func idle(_ op: CompetencyFloor.State.Op) -> Int64 { op.lastAssignedAt ?? Int64.min }
                #expect(eligible.allSatisfy { idle($0) >= idle(chosen) }, "longest_idle picked \(operatorId) over one idle longer")
            }
        }
    }

    /// No operator over its total or any channel capacity.
    static func checkCapacities(_ state: CompetencyFloor.State) throws {
        for op in state.operators {
            #expect(op.availability.load <= op.availability.limit, "operator \(op.id) over its limit")
            for (channel, cap) in op.capacity {
                #expect(op.channelLoad[channel] ?? 0 <= cap, "operator \(op.id) over its \(channel) capacity \(cap)")
            }
        }
    }

    /// While a request waits, no operator eligible for it has room on its channel.
    static func checkNobodyEligibleIsIdle(_ floor: CompetencyFloor) throws {
        let state = try floor.state()
        for request in try floor.waiting() {
            let eligible = state.eligible(source: request.source, requirements: request.requirements, escalated: request.escalated)
            #expect(eligible.isEmpty, "request \(request.id) waits while operators \(eligible.map(\.id)) could take it")
        }
    }

    @Test func amongSkillMatchedOperatorsTheDrawFollowsTheWeights() throws {
        let store = try makeStore(seed: 7)
        let source = try store.createSource("chat")
        let skilled = try (1...4).map { index in
            try store.ok(.operatorCreate(name: "s\(index)", maxLoadLimit: 10_000, isActive: true,
                                         settings: OperatorSettings(skills: ["billing": 2 + index % 2])))
        }.map { result -> Int64 in
            guard case let .operator(op) = result else { throw TestFailure("no operator") }
            return op.id
        }
        let unskilled = try store.createOperator("plain", limit: 10_000)
        let weights = [10, 20, 30, 40]
        try store.ok(.sourceSetWeights(sourceId: source, weights: zip(skilled, weights).map { Weight(operatorId: $0, weight: $1) }
            + [Weight(operatorId: unskilled, weight: 100)]))
        let total = 8_000
        var counts: [Int64: Int] = [:]
        for batch in 0..<(total / 500) {
            let items: [WorkItem] = (0..<500).map { n in
                .intake(IntakeMessage(userIdentifier: "u\(batch)-\(n)", source: .id(source), message: "m",
                                      requires: [Requirement(skill: "billing", minLevel: 2)]), messageId: nil)
            }
            for case let .intake(.assigned(_, operatorId)) in try store.apply(items).results { counts[operatorId, default: 0] += 1 }
        }
        #expect(counts[unskilled] == nil, "an operator without the skill was drawn")
        // χ² with 3 degrees of freedom; 16.27 is the 0.1% critical value.
        let chiSquare = zip(skilled, weights).reduce(0.0) { sum, pair in
            let expected = Double(total) * Double(pair.1) / 100
            let observed = Double(counts[pair.0] ?? 0)
            return sum + (observed - expected) * (observed - expected) / expected
        }
        #expect(chiSquare < 16.27, "χ² \(chiSquare) for \(counts)")
    }
}
