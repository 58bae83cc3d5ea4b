import Foundation
import SwitchboardCore

/// The what-if replay (`../shared/CONTRACT.md`, "What-if replay"): a recorded window run
/// twice through the service's own routing on a simulated clock, as it was and with the
/// changes, each in a scratch database of its own, removed after. The recorded store is
/// only read (by whoever made `day`), so a replay changes nothing in the service.
public enum Replay {
    public static func run(_ day: RecordedDay, changes: ReplayChanges, seed: UInt64, awayAfterMissed: Int = 3) throws -> ReplayReport {
        guard !day.arrivals.isEmpty else {
            throw CommandError.validation([FieldProblem(field: "since", problem: "no request arrived from \(day.since) to \(day.until)")])
        }
        let asItWas = try single(day, changes: ReplayChanges(), seed: seed, awayAfterMissed: awayAfterMissed).outcome
        let withChanges = try single(day, changes: changes, seed: seed, awayAfterMissed: awayAfterMissed).outcome
        return ReplayReport(since: day.since, until: day.until, seed: seed, requests: day.arrivals.count,
                            asItWas: asItWas, withChanges: withChanges)
    }

    /// One run: its outcome, and who each recorded request went to last (recorded ids).
    static func single(_ day: RecordedDay, changes: ReplayChanges, seed: UInt64,
                       awayAfterMissed: Int = 3) throws -> (outcome: ReplayOutcome, assignments: [Int64: Int64]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try ReplayRun(day, changes: changes, seed: seed, awayAfterMissed: awayAfterMissed,
                                path: folder.appendingPathComponent("replay.sqlite").path)
        return (try run.run(), run.assignments)
    }
}
