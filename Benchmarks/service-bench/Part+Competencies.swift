import Foundation
import SwitchboardCore
import SwitchboardStore

/// Routing by competencies, measured on the store itself (the writer's work, no broker in
/// the way): intake on a big skilled floor against a plain one, and serving a long line of
/// requests with mixed requirements against the same line without any.
extension BenchRun {
    func competencies() throws {
        guard want("competencies") else { return }
        var random = SplitMix64(seed: 36)
        let skills = (0..<200).map { "skill.\($0)" }
        let count = max(requests, 20_000)
        print("\nCompetencies (the store's writer alone, SQLite; fastest of 3):")

        // Intake: 3 operators and no requirements, against 10,000 holding 5 of 200 skills with
        // every request needing 2 of some operator's skills.
        let plain = try floor("plain", operators: (0..<3).map { _ in [:] })
        let plainIntake = try fastestSeconds { try intake(count, into: plain, requires: { _ in nil }) }
        var held: [[String]] = []
        let skilled = try floor("skilled", operators: (0..<10_000).map { _ in
            let mine = Array(skills.shuffled(using: &random).prefix(5))
            held.append(mine)
            return Dictionary(uniqueKeysWithValues: mine.map { ($0, Int.random(in: 1...10, using: &random)) })
        })
        let needs = (0..<count).map { _ in
            held.randomElement(using: &random)!.shuffled(using: &random).prefix(2).map { Requirement(skill: $0) }
        }
        let skilledIntake = try fastestSeconds { try intake(count, into: skilled, requires: { needs[$0] }) }
        // The same floor with no requirements: what spreading requests over 10,000 operators
        // costs the store by itself, skills aside.
        let spreadIntake = try fastestSeconds { try intake(count, into: skilled, requires: { _ in [] }) }
        print(String(format: "  intake, 3 operators, no requirements          %8.0f requests/s", Double(count) / plainIntake))
        print(String(format: "  intake, 10,000 operators, 2 of 200 skills     %8.0f requests/s", Double(count) / skilledIntake))
        print(String(format: "  intake, 10,000 operators, no requirements     %8.0f requests/s", Double(count) / spreadIntake))
        ratioLine("skilled / plain intake throughput", plainIntake / skilledIntake, target: ">= 0.85")
        ratioLine("skilled / the same 10,000 without requirements", spreadIntake / skilledIntake, target: "reference")
        figures["competencies_intake"] = ["plain_per_second": Double(count) / plainIntake, "skilled_per_second": Double(count) / skilledIntake,
                                          "spread_per_second": Double(count) / spreadIntake,
                                          "ratio": plainIntake / skilledIntake]

        // Memory: the skilled floor's table beside 100,000 waiting requests (the line is in
        // the database; the writer keeps the parts' keys).
        let before = residentKiB()
        try fill(skilled, waiting: 100_000) { n in [Requirement(skill: skills[n % 200]), Requirement(skill: "nobody.has.this")] }
        print("  resident memory, 10,000 skilled operators and 100,000 waiting: \(residentKiB() / 1024) MiB (\(before / 1024) MiB before the line)")
        figures["competencies_memory"] = ["rss_kib": residentKiB(), "rss_kib_before_line": before]

        // The line: 100,000 waiting on a channel none has capacity for, then every operator
        // gets room for it; the time until the line is served, with and without requirements.
        let mixed = try lineServed(random: &random, skills: Array(skills.prefix(20))) { random, pool in
            pool.shuffled(using: &random).prefix(Int.random(in: 0...2, using: &random)).map {
                Requirement(skill: $0, minLevel: Int.random(in: 1...3, using: &random))
            }
        }
        let bare = try lineServed(random: &random, skills: Array(skills.prefix(20))) { _, _ in [] }
        print(String(format: "  100,000 waiting, capacity opens: served in %.2f s with mixed requirements, %.2f s without", mixed, bare))
        ratioLine("line served, mixed requirements / none (time)", mixed / bare, target: "<= 1.5")
        figures["competencies_line"] = ["mixed_seconds": mixed, "bare_seconds": bare, "ratio": mixed / bare]
    }

    /// A store with one source weighting every operator, who have these skills.
    private func floor(_ name: String, operators: [Skills]) throws -> SwitchboardStore {
        let path = folder.appendingPathComponent("competencies-\(name)-\(runId()).sqlite").path
        let store = try SwitchboardStore(path: path, random: SplitMix64(seed: 1))
        var setup: [WorkItem] = [.command(.sourceCreate(name: "Chat", identifier: "chat", settings: SourceSettings(channel: "chat")),
                                          messageId: nil, sender: nil)]
        for (index, skills) in operators.enumerated() {
            setup.append(.command(.operatorCreate(name: "op\(index)", maxLoadLimit: 10_000, isActive: true,
                                                  settings: OperatorSettings(skills: skills)), messageId: nil, sender: nil))
        }
        for chunk in stride(from: 0, to: setup.count, by: 1_000) { _ = try store.apply(Array(setup[chunk..<min(chunk + 1_000, setup.count)])) }
        _ = try store.execute(.sourceSetWeights(sourceId: 1, weights: (1...Int64(operators.count)).map { Weight(operatorId: $0, weight: 10) }))
        return store
    }

    /// Seconds to take `count` requests in, in batches of 256 as the writer takes them.
    private func intake(_ count: Int, into store: SwitchboardStore, requires: (Int) -> [Requirement]?) throws -> Double {
        let start = ContinuousClock.now
        for batch in stride(from: 0, to: count, by: 256) {
            _ = try store.apply((batch..<min(batch + 256, count)).map { n in
                .intake(IntakeMessage(userIdentifier: "u\(n % 5_000)", source: .id(1), message: "m", requires: requires(n)), messageId: nil)
            })
        }
        return (ContinuousClock.now - start) / .seconds(1)
    }

    private func fill(_ store: SwitchboardStore, waiting: Int, requires: (Int) -> [Requirement]) throws {
        _ = try intake(waiting, into: store, requires: requires)
    }

    private func fastestSeconds(_ body: () throws -> Double) throws -> Double {
        try (0..<3).map { _ in try body() }.min()!
    }

    /// 200 operators with 10 of the 20 skills of `pool` at level 3, no capacity on the chat
    /// channel, 100,000 requests waiting with `requirements`; then each operator gets room
    /// for 1,000 chats, one command each, every command serving what it can from the line.
    private func lineServed(random: inout SplitMix64, skills pool: [String],
                            requirements: (inout SplitMix64, [String]) -> [Requirement]) throws -> Double {
        let floorSkills: [Skills] = (0..<200).map { _ in
            Dictionary(uniqueKeysWithValues: pool.shuffled(using: &random).prefix(10).map { ($0, 3) })
        }
        let store = try floor("line", operators: floorSkills)
        for id in 1...Int64(floorSkills.count) {
            _ = try store.execute(.operatorUpdate(id: id, name: nil, maxLoadLimit: nil, isActive: nil,
                                                  settings: OperatorSettings(capacity: ["chat": 0])))
        }
        let needs = (0..<100_000).map { _ in requirements(&random, pool) }
        try fill(store, waiting: needs.count) { needs[$0] }
        let start = ContinuousClock.now
        let opens: [WorkItem] = (1...Int64(floorSkills.count)).map {
            .command(.operatorUpdate(id: $0, name: nil, maxLoadLimit: nil, isActive: nil, settings: OperatorSettings(capacity: ["chat": 1_000])),
                     messageId: nil, sender: nil)
        }
        for chunk in stride(from: 0, to: opens.count, by: 10) { _ = try store.apply(Array(opens[chunk..<min(chunk + 10, opens.count)])) }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        guard case let .success(.status(status)) = try store.execute(.serviceStatus).0, status.waitingCount == 0 else {
            throw BenchFailure("the line was not served")
        }
        return seconds
    }

    private func residentKiB() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
