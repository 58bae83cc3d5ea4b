import Foundation
import GRDB
import PropertyBased
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// One step of a generated run on a source with one operator of limit 1 and a max wait:
/// requests arrive with priorities, priorities change, time passes, the operator's request
/// closes.
struct LineStep: Sendable, CustomStringConvertible {
    var kind: Int
    var value: Int
    var description: String { "(\(kind),\(value))" }
}

@Suite struct WaitingLineProperties {
    static let steps = zip(Gen.int(in: 0...5), Gen.int(in: 0...1_000)).map { LineStep(kind: $0.0, value: $0.1) }.array(of: 1...80)

    /// The waiting requests, best first as the contract orders them.
    static func line(_ store: SwitchboardStore) throws -> [Int64] {
        try store.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM requests WHERE status = 'waiting' ORDER BY priority DESC, created_at, id")
        }
    }

    @Test func theLineIsServedByPriorityThenAgeAndNothingEscalatesTwice() async {
        await propertyCheck(count: 80, input: Self.steps) { steps in
            let world = try OfferWorld(operators: 1, limit: 1, timeout: 0)
            try world.store.ok(.sourceUpdate(id: world.source, name: nil, settings: SourceSettings(maxWaitSeconds: 5)))
            var escalations: [Int64: Int] = [:]
            for step in steps {
                let before = try Self.line(world.store)
                var events: [OutboxEvent]
                switch step.kind {
                case 0, 1:
                    events = try world.store.intake(IntakeMessage(
                        userIdentifier: "u\(step.value % 7)", source: .id(world.source), message: "m", priority: step.value % 10)).1
                case 2:
                    guard let id = before.isEmpty ? nil : before[step.value % before.count] else { continue }
                    events = try world.store.execute(.requestSetPriority(id: id, priority: step.value % 10)).1
                case 3:
                    events = try world.pass(seconds: 1 + step.value % 4)
                default:
                    let held = try world.store.read {
                        try Int64.fetchOne($0, sql: "SELECT id FROM requests WHERE status = 'assigned'")
                    }
                    guard let held else { continue }
                    events = try world.store.execute(.requestClose(id: held)).1
                    // Escalations due by now were handled before the close, so the line the
                    // close draws from is the one read after them.
                    let drawnFrom = try Self.line(world.store) + events.compactMap(Self.assignedFromLine)
                    let expected = try world.store.read { db in
                        try Int64.fetchAll(db, sql: """
                            SELECT id FROM requests WHERE id IN (\(drawnFrom.map(String.init).joined(separator: ",")))
                            ORDER BY priority DESC, created_at, id LIMIT 1
                            """)
                    }
                    #expect(events.compactMap(Self.assignedFromLine) == Array(expected.prefix(1)), "line \(before)")
                }
                for event in events where event.routingKey == "request.escalated" {
                    let decoded = try world.decoded(event)
                    escalations[decoded.request.request.id, default: 0] += 1
                }
                try world.store.checkInvariants()
            }
            #expect(escalations.values.allSatisfy { $0 == 1 }, "\(escalations)")
            let marked = try world.store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM requests WHERE escalated_at IS NOT NULL") }
            #expect(marked == escalations.count)
        }
    }

    static func assignedFromLine(_ event: OutboxEvent) -> Int64? {
        guard event.routingKey == "request.assigned",
              let decoded = try? JSONDecoder().decode(Event.self, from: Data(event.body)), decoded.route == .waitingLine
        else { return nil }
        return decoded.request.request.id
    }
}
