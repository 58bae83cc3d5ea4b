import Foundation
import GRDB
import Postgres
import SwitchboardCore

/// The floor as it stands: what the dashboard shows and the metrics' gauges report.
public struct FloorSnapshot: Sendable, Equatable, Codable {
    public var operators: [OperatorLoad]
    public var waitingCount: Int
    /// Seconds the oldest waiting request has waited; 0 when none waits.
    public var oldestWaitingSeconds: Double
    public var offeredCount: Int
    public var outboxPending: Int
    /// Refused events being published again until the broker takes them.
    public var eventsRetrying: Int
    /// Events kept after SWITCHBOARD_EVENT_RETRY_FOR ran out, until `events.resend`.
    public var eventsSetAside: Int
    /// Of the waiting, those needing a skill no operator has at the level required.
    public var unmatchedWaiting: Int
    /// The sources with working hours: open or closed, and until when.
    public var sources: [SourceOpening]

    public struct SourceOpening: Sendable, Equatable, Codable {
        public var sourceId: Int64
        public var identifier: String
        public var openNow: Bool
        public var nextChangeAt: Timestamp?

        enum CodingKeys: String, CodingKey {
            case sourceId = "source_id", identifier, openNow = "open_now", nextChangeAt = "next_change_at"
        }
    }

    enum CodingKeys: String, CodingKey {
        case operators
        case waitingCount = "waiting_count"
        case oldestWaitingSeconds = "oldest_waiting_seconds"
        case offeredCount = "offered_count"
        case outboxPending = "outbox_pending"
        case eventsRetrying = "events_retrying"
        case eventsSetAside = "events_set_aside"
        case unmatchedWaiting = "unmatched_waiting"
        case sources
    }
}

/// Reads the database beside the writer, for the HTTP side, never through the write
/// connection: on SQLite through connections of its own opened read-only (WAL lets them run
/// while the writer commits), on PostgreSQL through a session of its own, opened again
/// after a server restart. Every read is a handful of indexed lookups, flat as requests grow.
public final class StoreReader: Sendable {
    private let pool: DatabasePool?
    private let session: PostgresReadSession?

    public convenience init(path: String) throws { try self.init(location: .file(path: path)) }

    public init(location: StoreLocation) throws {
        switch location {
        case let .file(path):
            var configuration = Configuration()
            configuration.readonly = true
            configuration.maximumReaderCount = 2
            pool = try DatabasePool(path: path, configuration: configuration)
            session = nil
        case let .postgres(url):
            pool = nil
            session = PostgresReadSession(url: url)
        }
    }

    public func floor(now: Timestamp = .now()) throws -> FloorSnapshot {
        try read { db in
            let counts = try SwitchboardStore.lineCounts(db)
            let oldest = try SQLRow.fetchOne(db, sql: SwitchboardStore.oldestWaitingQuery).map { $0[3] as Int64 }
            return FloorSnapshot(
                operators: try SwitchboardStore.operatorsLoad(db).operators, waitingCount: counts.waiting,
                oldestWaitingSeconds: oldest.map { now.seconds(since: Timestamp(milliseconds: $0)) } ?? 0,
                offeredCount: counts.offered, outboxPending: counts.outboxPending, eventsRetrying: counts.eventsRetrying,
                eventsSetAside: try Int.fetchOne(db, sql: SwitchboardStore.setAsideCountQuery) ?? 0,
                unmatchedWaiting: try SwitchboardStore.unmatchedWaiting(db),
                // Computed from the hours as the writer does: a few sources, once a frame.
                sources: try HoursColumn.sources(db).map { source in
                    FloorSnapshot.SourceOpening(sourceId: source.id, identifier: source.identifier, openNow: source.hours.isOpen(at: now),
                                                nextChangeAt: source.hours.nextChange(after: now))
                })
        }
    }

    /// A request as `request.get` shows it (the HTTP API's answer to intake).
    public func requestDetail(id: Int64) throws -> RequestDetail {
        try read { try SwitchboardStore.requestDetail(id, $0) }
    }

    /// Presence changes in a window, oldest first: the what-if replay's record of who was there.
    public func presenceChanges(since: Timestamp, until: Timestamp) throws -> [PresenceChange] {
        try read { try SwitchboardStore.presenceChanges(since: since, until: until, $0) }
    }

    func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        if let pool { return try pool.read { try body(SQLiteDatabase($0)) } }
        return try session!.read(body)
    }
}

/// One PostgreSQL session shared by the HTTP side's reads, one read at a time, opened on
/// first use and again after it was lost. Unchecked: `lock` guards `database`, which a
/// `Mutex` cannot hold (a libpq session is not `Sendable`, and must not be).
final class PostgresReadSession: @unchecked Sendable {
    private let url: String
    private let lock = NSLock()
    private var database: PostgresDatabase?

    init(url: String) { self.url = url }

    func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try lock.withLock {
            let open = try database ?? PostgresDatabase(PostgresConnection(url: url, applicationName: "switchboard reader"))
            database = open
            do {
                return try body(open)
            } catch {
                if SwitchboardStore.isSessionLost(error) { database = nil }
                throw error
            }
        }
    }
}
