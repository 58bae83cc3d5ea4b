import GRDB
import PropertyBased
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// One step of a generated day on a source with offers; `a` and `b` pick targets modulo
/// what exists.
struct OfferStep: Sendable, CustomStringConvertible {
    var kind: Int
    var a: Int
    var b: Int
    var description: String { "(\(kind),\(a),\(b))" }

    /// Runs the step. Accepts and rejects mostly come from the operator the request is on
    /// offer to (as a console sends them), sometimes from someone else.
    func run(in world: OfferWorld) throws {
        let op = world.operators[a % world.operators.count]
        let requestId = Int64(b % 30 + 1)
        let holder = try world.store.read { try Int64.fetchOne($0, sql: "SELECT operator_id FROM requests WHERE id = ?", arguments: [requestId]) }
        let responder = a % 4 == 0 ? op : (holder ?? op)
        let item: WorkItem
        switch kind {
        case 0, 1, 2: item = .intake(IntakeMessage(userIdentifier: "u\(a % 5)", source: .id(world.source), message: "m"), messageId: nil)
        case 3: item = .command(.requestAccept(id: requestId, operatorId: responder))
        case 4: item = .command(.requestReject(id: requestId, operatorId: responder, reason: nil))
        case 5:
            world.clock.advance(seconds: 1 + a % 12)
            item = .command(.serviceStatus)
        case 6: item = .command(.operatorSetPresence(id: op, presence: Presence.allCases[b % 3], requeue: b % 2 == 0 && b % 3 == 2))
        case 7: item = .command(.requestClose(id: requestId))
        case 8: item = .command(.operatorUpdate(id: op, name: nil, maxLoadLimit: nil, isActive: b % 3 != 0))
        default: item = .command(.requestAssign(id: requestId, operatorId: b % 2 == 0 ? nil : op))
        }
        _ = try world.store.apply([item])
    }
}

@Suite struct OfferProperties {
    static let steps = zip(Gen.int(in: 0...9), Gen.int(in: 0...1_000), Gen.int(in: 0...1_000))
        .map { OfferStep(kind: $0.0, a: $0.1, b: $0.2) }
        .array(of: 1...60)

    @Test func capacityHoldsCountingOffersAndNoOneIsOfferedARequestTwiceInARound() async {
        await propertyCheck(count: 60, input: Gen.int(in: 1...4), Gen.int(in: 1...3), Self.steps) { operators, limit, steps in
            let world = try OfferWorld(operators: operators, limit: limit, timeout: 10, awayAfterMissed: 2)
            for step in steps {
                try step.run(in: world)
                try world.store.checkInvariants()
            }
            // The offers table's key (request, round, operator) would have refused a repeat;
            // this says it in the test's own words.
            let repeats = try world.store.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM (SELECT 1 FROM offers GROUP BY request_id, round, operator_id HAVING COUNT(*) > 1)
                    """)
            }
            #expect(repeats == 0)
        }
    }
}
