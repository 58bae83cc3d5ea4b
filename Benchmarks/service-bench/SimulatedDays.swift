import Foundation
import SwitchboardCore
import SwitchboardStore

/// Days of steady traffic on the store alone, on a simulated clock: each day takes in
/// `perDay` requests, closes them and has their events confirmed, and retention (closed requests and audit rows kept for `retain`) runs as the writer runs it (rounds of
/// archive-then-delete, message ids forgotten, free pages given back, checkpoints). The
/// database's size once retention has reached steady state must stay flat.
enum SimulatedDays {
    struct Day {
        var day: Int
        var databaseBytes: Int64
        var walBytes: Int64
        var stored: Int
    }

    final class Clock: @unchecked Sendable {
        var ms: Int64 = 1_790_000_000_000
        func tick() -> Timestamp {
            ms += 1
            return Timestamp(milliseconds: ms)
        }
    }

    static func run(days: Int, perDay: Int, retain: Duration, folder: URL) throws -> [Day] {
        let path = folder.appendingPathComponent("simulated-days.sqlite").path
        let clock = Clock()
        let store = try SwitchboardStore(path: path, now: { clock.tick() })
        _ = try store.execute(.operatorCreate(name: "Ann", maxLoadLimit: 10_000, isActive: true))
        _ = try store.execute(.sourceCreate(name: "Chat", identifier: "chat"))
        _ = try store.execute(.sourceSetWeights(sourceId: 1, weights: [Weight(operatorId: 1, weight: 1)]))
        let text = String(repeating: "Where is my order? ", count: 8)
        let batch = 256
        var sent = 0
        var report: [Day] = []
        for day in 1...days {
            let dayStart = clock.ms
            for start in stride(from: 0, to: perDay, by: batch) {
                let count = min(batch, perDay - start)
                let items = (0..<count).map { n in
                    WorkItem.intake(IntakeMessage(userIdentifier: "user\((sent + n) % 5_000)", source: .identifier("chat"), message: text),
                                    messageId: "msg-\(sent + n)")
                }
                let taken = try store.apply(items)
                let ids = taken.results.compactMap { result -> Int64? in
                    guard case let .intake(.assigned(id, _)) = result else { return nil }
                    return id
                }
                let closed = try store.apply(ids.map { .command(.requestClose(id: $0)) })
                // The events as the broker would have confirmed them: the outbox empties.
                try store.markSent(Array(Set((taken.events + closed.events).map(\.id))))
                sent += count
                // The day's traffic spread over its 24 hours.
                clock.ms = dayStart + Int64(86_400_000 * (start + count) / perDay)
                _ = try store.purgeClosed(olderThan: retain, limit: 64)
                _ = try store.forgetMessageIds(olderThan: .seconds(86_400), limit: 256)
                _ = try store.forgetAuditRows(olderThan: retain, limit: 256)
                _ = try store.returnFreePages()
                if store.commitsSinceCheckpoint >= 64 { try store.checkpoint() }
            }
            // The rest of the day's rounds, as the idle writer runs them.
            while try store.purgeClosed(olderThan: retain, limit: 64).purged == 64 {}
            while try store.forgetMessageIds(olderThan: .seconds(86_400), limit: 256).intake == 256 {}
            while try store.forgetAuditRows(olderThan: retain, limit: 256) == 256 {}
            while try store.returnFreePages() > 0 {}
            try store.checkpoint()
            let stored = try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM requests") ?? 0 }
            report.append(Day(day: day, databaseBytes: size(path), walBytes: size(path + "-wal"), stored: stored))
        }
        return report
    }

    private static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
