import Foundation
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// A random floor for the competency laws: operators with random skills, capacities per
/// channel, limits, activity and presence; two sources on different channels with random
/// strategies, weights and requirements. Built from one seed, so a failure names its floor.
struct CompetencyFloor {
    static let skills = ["billing", "lang.es", "lang.de", "voice.tech"]
    static let channels = ["chat", "voice"]
    let clock = Clock()
    let store: SwitchboardStore
    var operators: [Int64] = []
    var sources: [Int64] = []
    var random: SplitMix64

    init(seed: UInt64) throws {
        random = SplitMix64(seed: seed)
        store = try makeStore(seed: seed, clock: clock, awayAfterMissed: 0)
        let count = Int.random(in: 1...6, using: &random)
        for index in 0..<count {
            let created = try store.ok(.operatorCreate(
                name: "op\(index)", maxLoadLimit: Int.random(in: 1...4, using: &random), isActive: Int.random(in: 0...5, using: &random) > 0,
                presence: Int.random(in: 0...4, using: &random) == 0 ? .away : .available,
                settings: OperatorSettings(skills: randomSkills(), capacity: randomCapacity())))
            guard case let .operator(op) = created else { throw TestFailure("no operator") }
            operators.append(op.id)
        }
        for (index, channel) in Self.channels.enumerated() {
            let settings = SourceSettings(
                offerTimeoutSeconds: index == 1 ? 5 : 0, maxWaitSeconds: Int.random(in: 0...1, using: &random) * 20,
                overflow: Bool.random(using: &random), channel: channel, strategy: Strategy.allCases.randomElement(using: &random)!,
                requires: randomRequirements(), wrapUpSeconds: Int.random(in: 0...1, using: &random) * 10)
            guard case let .source(source) = try store.ok(.sourceCreate(name: channel, identifier: channel, settings: settings)) else {
                throw TestFailure("no source")
            }
            sources.append(source.id)
            let weights = operators.compactMap { id -> Weight? in
                let weight = Int.random(in: 0...3, using: &random)
                return weight == 0 ? nil : Weight(operatorId: id, weight: weight * 10)
            }
            try store.ok(.sourceSetWeights(sourceId: source.id, weights: weights))
        }
    }

    mutating func randomSkills() -> Skills {
        var skills: Skills = [:]
        for skill in Self.skills where Bool.random(using: &random) { skills[skill] = Int.random(in: 1...3, using: &random) }
        return skills
    }

    mutating func randomCapacity() -> ChannelCapacity {
        var capacity: ChannelCapacity = [:]
        for channel in Self.channels where Int.random(in: 0...2, using: &random) == 0 {
            capacity[channel] = Int.random(in: 0...2, using: &random)
        }
        return capacity
    }

    mutating func randomRequirements() -> [Requirement] {
        Self.skills.shuffled(using: &random).prefix(Int.random(in: 0...2, using: &random)).map { skill in
            Requirement(skill: skill, minLevel: Int.random(in: 1...3, using: &random),
                        relaxAfterSeconds: Bool.random(using: &random) ? Int.random(in: 1...20, using: &random) : nil)
        }
    }

    /// The floor as the database holds it, for judging routing against ``Eligibility``.
    struct State {
        struct Op {
            var id: Int64
            var availability: OperatorAvailability
            var skills: Skills
            var capacity: ChannelCapacity
            var channelLoad: [String: Int]
            var lastAssignedAt: Int64?
        }

        var operators: [Op]
        var channelOf: [Int64: String]
        var overflowOf: [Int64: Bool]
        var weights: [Int64: [Int64: Int]]

        /// The operators eligible now for a request with these needs, by the contract's rule.
        func eligible(source: Int64, requirements: [Requirement], escalated: Bool) -> [Op] {
            let channel = channelOf[source]!
            return operators.filter { op in
                Eligibility.isEligible(
                    op.availability, channel: channel, channelLoad: op.channelLoad[channel] ?? 0, channelCapacity: op.capacity[channel],
                    skills: op.skills, requirements: requirements, weight: weights[source]?[op.id] ?? 0,
                    overflow: escalated && overflowOf[source]!)
            }
        }
    }

    func state() throws -> State {
        guard case let .operators(all) = try store.ok(.operatorList()), case let .sources(sources) = try store.ok(.sourceList) else {
            throw TestFailure("no floor")
        }
        let idle = try store.read { db in
            try Dictionary(uniqueKeysWithValues: SQLRow.fetchAll(db, sql: "SELECT id, last_assigned_at FROM operators").map {
                ($0[0] as Int64, $0[1] as Int64?)
            })
        }
        return State(
            operators: all.map { State.Op(id: $0.id, availability: $0.availability, skills: $0.skills, capacity: $0.capacity,
                                          channelLoad: $0.loadByChannel, lastAssignedAt: idle[$0.id] ?? nil) },
            channelOf: Dictionary(uniqueKeysWithValues: sources.map { ($0.id, $0.channel) }),
            overflowOf: Dictionary(uniqueKeysWithValues: sources.map { ($0.id, $0.overflow) }),
            weights: Dictionary(uniqueKeysWithValues: sources.map { source in
                (source.id, Dictionary(uniqueKeysWithValues: source.weights.map { ($0.operatorId, $0.weight) }))
            }))
    }

    /// The waiting requests never offered in their round (one every eligible operator
    /// declined may wait beside them), with what they still need.
    func waiting() throws -> [(id: Int64, source: Int64, requirements: [Requirement], escalated: Bool)] {
        try store.read { db in
            try SQLRow.fetchAll(db, sql: """
                SELECT id, source_id, requires, relaxed, escalated_at IS NOT NULL FROM requests WHERE status = 'waiting' AND offer_round = 0
                """).map { row in
                (row[0], row[1], Requirement.inForce(CompetencyColumns.requirements(row[2]), relaxed: CompetencyColumns.names(row[3])),
                 row[4])
            }
        }
    }
}
