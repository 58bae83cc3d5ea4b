#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Postgres

/// The store in a PostgreSQL database that several instances share, one writing at a time.
///
/// The writer holds a session-level advisory lock on its own connection for as long as it
/// writes: a process that loses that session loses the lock with it, and can commit nothing
/// more (the fencing is the database's, not a timer's). A standby opening the store while
/// another writer holds the lock is refused with ``StoreError/writerElsewhere(database:holder:)``
/// and tries again; if the holder's session has been idle longer than ``hungAfterSeconds``
/// (a live writer touches it every second, see ``keepAlive()``), its process is taken for
/// hung (stopped, frozen) and its session is ended, which frees the lock.
final class PostgresBackend: StoreBackend {
    /// The advisory lock only the writer holds.
    static let writerLockKey: Int64 = 0x5357_4254
    /// Held by a migration's transaction, so that two instances starting together do not both migrate.
    static let migrationLockKey: Int64 = 0x5357_4D47
    /// Three missed touches: long enough that a loaded writer is never taken for hung,
    /// short enough that a standby takes over within the 5 s the service promises.
    static let hungAfterSeconds = 3.0

    let displayURL: String
    private let writer: PostgresDatabase
    private var lastCall = ContinuousClock.now

    init(url: String) throws {
        let connection = try PostgresConnection(url: url, applicationName: Self.applicationName)
        displayURL = connection.displayURL
        if try !Self.takeWriterLock(connection) {
            let holder = try Self.holder(connection)
            guard let holder, holder.idleSeconds > Self.hungAfterSeconds else {
                throw StoreError.writerElsewhere(database: connection.displayURL, holder: holder?.name ?? "a session that just ended")
            }
            // Ended and waited for (up to 2 s), so that its lock is free when this returns.
            try connection.execute("SELECT pg_terminate_backend($1, 2000)", [.integer(holder.pid)])
            guard try Self.takeWriterLock(connection) else {
                throw StoreError.writerElsewhere(database: connection.displayURL, holder: holder.name)
            }
        }
        try PostgresSchema.migrate(connection)
        writer = PostgresDatabase(connection)
    }

    func transaction<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        lastCall = .now
        return try writer.transaction(body)
    }

    /// On the writer's session, outside any transaction: each statement reads what is committed.
    func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        lastCall = .now
        return try body(writer)
    }

    func checkpoint() {}

    func returnFreePages(step: Int) -> Int { 0 }

    func keepAlive() throws {
        guard ContinuousClock.now - lastCall >= .seconds(1) else { return }
        lastCall = .now
        try writer.connection.executeScript("SELECT 1")
    }

    /// Who this process is, as the server shows its sessions (and a standby names the writer).
    private static var applicationName: String {
        var host = [UInt8](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        return "switchboard \(String(decoding: host.prefix { $0 != 0 }, as: UTF8.self)) pid \(getpid())"
    }

    private static func takeWriterLock(_ connection: PostgresConnection) throws -> Bool {
        try connection.execute("SELECT pg_try_advisory_lock($1)", [.integer(writerLockKey)]).scalar == "t"
    }

    private struct Holder {
        var pid: Int64
        var name: String
        var idleSeconds: Double
    }

    /// The session holding the writer's lock on this database (advisory locks are per
    /// database: another database's writer holds one with the same key), and how long it has
    /// waited on its client: since its state last changed, while it reads from the client.
    /// That covers a writer stopped in the middle of a pipeline, whose session stays `active`
    /// with part of the pipeline read; a session busy with the server's own work is never
    /// taken for hung.
    private static func holder(_ connection: PostgresConnection) throws -> Holder? {
        let rows = try connection.execute("""
            SELECT a.pid, a.application_name,
                   CASE WHEN a.wait_event_type = 'Client' AND a.wait_event = 'ClientRead'
                        THEN EXTRACT(EPOCH FROM clock_timestamp() - a.state_change)::float8 ELSE 0 END
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, [.integer(writerLockKey)]).rows
        guard let row = rows.first, case let .text(pid) = row[0], case let .text(name) = row[1], case let .text(idle) = row[2] else {
            return nil
        }
        return Holder(pid: Int64(pid) ?? 0, name: "\(name) (server pid \(pid))", idleSeconds: Double(idle) ?? 0)
    }
}
