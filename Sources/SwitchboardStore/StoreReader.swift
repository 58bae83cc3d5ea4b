import Foundation
import GRDB
import SwitchboardCore

/// The floor as it stands: what the dashboard shows and the metrics' gauges report.
public struct FloorSnapshot: Sendable, Equatable, Codable {
    public var operators: [OperatorLoad]
    public var waitingCount: Int
    /// Seconds the oldest waiting request has waited; 0 when none waits.
    public var oldestWaitingSeconds: Double
    public var offeredCount: Int
    public var outboxPending: Int

    enum CodingKeys: String, CodingKey {
        case operators
        case waitingCount = "waiting_count"
        case oldestWaitingSeconds = "oldest_waiting_seconds"
        case offeredCount = "offered_count"
        case outboxPending = "outbox_pending"
    }
}

/// Reads the database beside the writer, on connections of its own opened read-only (WAL
/// lets them run while the writer commits), for the HTTP side: it never touches the write
/// connection. Every read is a handful of indexed lookups, flat as requests grow.
public final class StoreReader: Sendable {
    private let pool: DatabasePool

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.maximumReaderCount = 2
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    public func floor(now: Timestamp = .now()) throws -> FloorSnapshot {
        try pool.read { grdb in
            let db = SQLiteDatabase(grdb)
            let counts = try SwitchboardStore.lineCounts(db)
            let oldest = try SQLRow.fetchOne(db, sql: SwitchboardStore.oldestWaitingQuery).map { $0[3] as Int64 }
            return FloorSnapshot(
                operators: try SwitchboardStore.operatorsLoad(db).operators, waitingCount: counts.waiting,
                oldestWaitingSeconds: oldest.map { now.seconds(since: Timestamp(milliseconds: $0)) } ?? 0,
                offeredCount: counts.offered, outboxPending: counts.outboxPending)
        }
    }
}
