import GRDB
import PropertyBased
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// A generated world: operators with limits and activity, sources, and weights between them.
struct World: Sendable, CustomStringConvertible {
    var operators: [(limit: Int, active: Bool)]
    var sourceCount: Int
    /// weights[s][o], 0 meaning "no weight".
    var weights: [[Int]]

    var description: String { "operators \(operators), sources \(sourceCount), weights \(weights)" }

    func build(seed: UInt64 = 1) throws -> SwitchboardStore {
        let store = try makeStore(seed: seed)
        for (index, op) in operators.enumerated() { try store.createOperator("op\(index)", limit: op.limit, active: op.active) }
        for s in 0..<sourceCount {
            try store.createSource("src\(s)")
            let list = weights[s].enumerated().filter { $0.element > 0 }
                .map { Weight(operatorId: Int64($0.offset + 1), weight: $0.element) }
            try store.ok(.sourceSetWeights(sourceId: Int64(s + 1), weights: list))
        }
        return store
    }
}

let worldGen = zip(
    zip(Gen.int(in: 1...4), Gen.bool).map { t in (limit: t.0, active: t.1) }.array(of: 1...5),
    Gen.int(in: 1...3),
    Gen.int(in: 0...100).array(of: 15)
).map { ops, sources, flat in
    World(operators: ops, sourceCount: sources,
          weights: (0..<sources).map { s in (0..<ops.count).map { o in flat[(s * 5 + o) % flat.count] % 4 == 0 ? 0 : flat[(s * 5 + o) % flat.count] } })
}

/// One step of a generated command stream; `a` and `b` pick targets modulo what exists.
struct Step: Sendable, CustomStringConvertible {
    var kind: Int
    var a: Int
    var b: Int
    var description: String { "(\(kind),\(a),\(b))" }

    func command(in world: World) -> WorkItem {
        let op = Int64(a % world.operators.count + 1)
        let source = Int64(b % world.sourceCount + 1)
        switch kind {
        case 0, 1, 2: return .intake(IntakeMessage(userIdentifier: "user\(a % 7)", source: .id(source), message: "m\(a)"), messageId: "m\(a)-\(b)")
        case 3: return .command(.requestClose(id: Int64(a % 40 + 1)))
        case 4: return .command(.operatorToggleActive(id: op))
        case 5: return .command(.operatorUpdate(id: op, name: nil, maxLoadLimit: b % 5 + 1, isActive: nil))
        case 6: return .command(.sourceSetWeights(sourceId: source, weights: [Weight(operatorId: op, weight: a % 100 + 1)]))
        case 7: return .command(.requestAssign(id: Int64(a % 40 + 1), operatorId: b % 2 == 0 ? nil : op))
        default: return .command(.operatorDelete(id: op))
        }
    }
}

let stepsGen = zip(Gen.int(in: 0...8), Gen.int(in: 0...1_000), Gen.int(in: 0...1_000))
    .map { t in Step(kind: t.0, a: t.1, b: t.2) }
    .array(of: 1...40)

@Suite struct StoreProperties {
    @Test func loadOnlyExceedsALimitLoweredBelowItAndAlwaysEqualsAssignedCount() async {
        await propertyCheck(count: 60, input: worldGen, stepsGen) { world, steps in
            let store = try world.build()
            for step in steps {
                let before = try store.loads()
                _ = try store.apply([step.command(in: world)])
                try store.checkInvariants(limitsLowered: true)
                for (id, now) in try store.loads() where now.load > now.limit {
                    // Over its limit only by a limit lowered below what it held: nothing new since.
                    #expect(now.load <= before[id]?.load ?? 0, "operator \(id) got a request over its limit \(now.limit)")
                }
            }
        }
    }

    @Test func theSameStreamInOneBatchOrManyEndsTheSame() async {
        await propertyCheck(count: 40, input: worldGen, stepsGen) { world, steps in
            let oneByOne = try world.build(seed: 9)
            for step in steps { _ = try oneByOne.apply([step.command(in: world)]) }
            let batched = try world.build(seed: 9)
            _ = try batched.apply(steps.map { $0.command(in: world) })
            try batched.checkInvariants(limitsLowered: true)
            // Same rows everywhere but the outbox, which groups events by transaction and
            // holds fresh event ids: there, the same number of events.
            #expect(try oneByOne.snapshot(excludingOutbox: true) == batched.snapshot(excludingOutbox: true))
            let count = "SELECT COALESCE(SUM(event_count), 0) FROM outbox"
            #expect(try oneByOne.read { try Int.fetchOne($0, sql: count) } == batched.read { try Int.fetchOne($0, sql: count) })
        }
    }

    @Test func withNobodyEligibleTheRequestWaits() async {
        let sleepy = zip(Gen.int(in: 1...4), Gen.int(in: 0...2)).array(of: 0...5)
        await propertyCheck(count: 40, input: sleepy) { operators in
            let store = try makeStore()
            let source = try store.createSource("tg")
            var weights: [Weight] = []
            for (index, (limit, kind)) in operators.enumerated() {
                let id = try store.createOperator("op\(index)", limit: limit, active: kind != 0)
                if kind == 1 { weights.append(Weight(operatorId: id, weight: 10)) }  // active, weighted, then filled
                if kind == 0 { weights.append(Weight(operatorId: id, weight: 10)) }  // inactive
                // kind 2: active but unweighted
            }
            try store.ok(.sourceSetWeights(sourceId: source, weights: weights))
            let room = operators.filter { $0.1 == 1 }.reduce(0) { $0 + $1.0 }
            for n in 0..<room { try store.send("fill\(n)", source: .id(source)) }
            let outcome = try store.send("late", source: .id(source))
            guard case let .waiting(id) = outcome else {
                Issue.record("expected waiting, got \(outcome)")
                return
            }
            let request = try store.requestNow(id)
            #expect(request.operatorId == nil)
            #expect(request.status == .waiting)
        }
    }

    @Test func aDuplicateMessageIdCreatesNothing() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...5), Gen.int(in: 1...4)) { copies, distinct in
            let store = try makeStore()
            let source = try store.createSource("tg")
            var outcomes: [IntakeOutcome] = []
            for copy in 0..<copies {
                for id in 0..<distinct {
                    outcomes.append(try store.send("u\(id)", source: .id(source), "text \(copy)", messageId: "msg-\(id)"))
                }
            }
            let stored = try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM requests") }
            #expect(stored == distinct)
            #expect(outcomes.filter { if case .duplicate = $0 { true } else { false } }.count == (copies - 1) * distinct)
            let outbox = try store.read { try Int.fetchOne($0, sql: "SELECT SUM(event_count) FROM outbox") }
            #expect(outbox == distinct, "one event per request, none for duplicates")
        }
    }

    @Test func closingFreesExactlyOneSlotAndDrainsTheOldestEligible() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...4), Gen.int(in: 1...6)) { limit, extra in
            let store = try makeStore()
            let op = try store.createOperator("A", limit: limit)
            let tg = try store.createSource("tg")
            let other = try store.createSource("other")  // nobody serves it: its requests wait forever
            try store.ok(.sourceSetWeights(sourceId: tg, weights: [Weight(operatorId: op, weight: 5)]))
            var assigned: [Int64] = []
            for n in 0..<limit {
                if case let .assigned(id, _) = try store.send("a\(n)", source: .id(tg)) { assigned.append(id) }
            }
            try store.send("stranger", source: .id(other))
            var waiting: [Int64] = []
            for n in 0..<extra {
                if case let .waiting(id) = try store.send("w\(n)", source: .id(tg)) { waiting.append(id) }
            }
            #expect(assigned.count == limit)
            #expect(waiting.count == extra)
            try store.ok(.requestClose(id: assigned[0]))
            #expect(try store.operatorNow(op).currentLoad == limit, "one freed, one taken")
            #expect(try store.requestNow(waiting[0]).status == .assigned, "the oldest waiting got it")
            for id in waiting.dropFirst() { #expect(try store.requestNow(id).status == .waiting) }
            try store.checkInvariants()
        }
    }

    @Test func theSameUserIdentifierAlwaysMapsToOneUser() async {
        let names = Gen.int(in: 0...5).array(of: 1...30)
        await propertyCheck(count: 40, input: names) { picks in
            let store = try makeStore()
            let tg = try store.createSource("tg")
            for pick in picks { try store.send("user-\(pick)@telegram", source: .id(tg)) }
            try store.read { db in
                let users = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? -1
                #expect(users == Set(picks).count)
                let mismatched = try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM requests r JOIN users u ON u.id = r.user_id
                    WHERE r.message IS NULL OR u.identifier IS NULL
                    """)
                #expect(mismatched == 0)
                let perUser = try SQLRow.fetchAll(db, sql: "SELECT u.identifier, COUNT(*) FROM requests r JOIN users u ON u.id = r.user_id GROUP BY u.id")
                for row in perUser {
                    let identifier: String = row[0]
                    let pick = Int(identifier.dropFirst(5).prefix { $0 != "@" })!
                    #expect(row[1] as Int == picks.filter { $0 == pick }.count)
                }
            }
        }
    }

    @Test func everyInvalidCommandIsRejectedAndChangesNothing() async {
        let bad = zip(Gen.int(in: 0...9), Gen.int(in: 100...200)).map { t -> Command in
            let missing = Int64(t.1)
            return switch t.0 {
            case 0: .operatorGet(id: missing)
            case 1: .operatorUpdate(id: missing, name: "x", maxLoadLimit: 1, isActive: true)
            case 2: .operatorToggleActive(id: missing)
            case 3: .operatorDelete(id: 1)  // operator 1 always has an assigned request below
            case 4: .sourceCreate(name: "dup", identifier: "src0")
            case 5: .sourceSetWeights(sourceId: 1, weights: [Weight(operatorId: 1, weight: 5), Weight(operatorId: missing, weight: 5)])
            case 6: .requestAssign(id: missing, operatorId: nil)
            case 7: .requestClose(id: missing)
            case 8: .requestAssign(id: 1, operatorId: missing)
            default: .sourceGet(id: missing)
            }
        }
        await propertyCheck(count: 60, input: worldGen, bad) { world, command in
            var sure = world
            sure.operators[0] = (limit: 4, active: true)
            sure.weights[0] = [50] + Array(repeating: 0, count: sure.operators.count - 1)
            let store = try sure.build()
            for n in 0..<8 { try store.send("u\(n)", source: .id(1)) }
            try #require(try store.operatorNow(1).currentLoad >= 2)
            let before = try store.snapshot()
            let error = try store.failure(command)
            #expect(error != nil, "\(command) succeeded")
            #expect([.notFound, .conflict].contains(error?.code))
            #expect(try store.snapshot() == before, "\(command) changed the database")
        }
    }

    @Test func statisticsEqualCountsRecomputedFromRequests() async {
        await propertyCheck(count: 40, input: worldGen, stepsGen) { world, steps in
            let store = try world.build()
            _ = try store.apply(steps.map { $0.command(in: world) })
            guard case let .distribution(dist) = try store.ok(.statsRequestsDistribution),
                  case let .operatorsLoad(load) = try store.ok(.statsOperatorsLoad),
                  case let .status(status) = try store.ok(.serviceStatus)
            else { throw TestFailure("stats") }
            try store.read { db in
                for row in dist.byOperator {
                    let counted = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE operator_id = ?", arguments: [row.operatorId])
                    #expect(row.requestCount == counted)
                }
                for row in dist.bySource {
                    let counted = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE source_id = ?", arguments: [row.sourceId])
                    #expect(row.requestCount == counted)
                }
                #expect(dist.unassignedCount == (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE operator_id IS NULL")))
                #expect(status.waitingCount == (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE status = 'waiting'")))
                for row in load.operators {
                    let assigned = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE operator_id = ? AND status = 'assigned'", arguments: [row.operatorId]) ?? -1
                    #expect(row.currentLoad == assigned)
                    #expect(abs(row.loadPercentage - Double(assigned) * 100 / Double(row.maxLoadLimit)) <= 0.005)
                }
            }
        }
    }

    @Test func reopeningKeepsAllData() async {
        await propertyCheck(count: 15, input: worldGen, stepsGen) { world, steps in
            let path = temporaryDatabasePath()
            var before = ""
            do {
                let store = try makeStore(path: path)
                for (index, op) in world.operators.enumerated() { try store.createOperator("op\(index)", limit: op.limit, active: op.active) }
                for s in 0..<world.sourceCount { try store.createSource("src\(s)") }
                _ = try store.apply(steps.map { $0.command(in: world) })
                before = try store.snapshot()
            }
            let reopened = try makeStore(path: path)
            #expect(try reopened.snapshot() == before)
            try reopened.checkInvariants(limitsLowered: true)
        }
    }
}
