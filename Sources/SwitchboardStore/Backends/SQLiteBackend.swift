import GRDB

/// The store in one SQLite file (WAL, `synchronous=FULL`, foreign keys on), written by this
/// process alone: an exclusive lock on `<file>.lock` is held for the backend's life.
final class SQLiteBackend: StoreBackend {
    let pool: DatabasePool
    /// Held for the store's life: no second process writes this file meanwhile.
    private let lock: DatabaseLock

    /// `flushed`: false for a scratch database (the what-if replay's), where nothing needs to
    /// outlive the process and a flush per commit would be most of a replay's time.
    init(path: String, flushed: Bool = true) throws {
        try DatabaseFiles.prepare(path)
        lock = try DatabaseLock(database: path)
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process (a backup, an inspection) may hold a lock for a moment.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Checkpoints belong between batches, not inside a commit that a message waits on:
            // the service calls checkpoint() when nothing is waiting. SQLite's own automatic
            // checkpoint stays only as a safety net for a writer that never does.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
            // Once checkpointed, the log file is cut back instead of staying at its peak size.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // A commit returns only once the WAL is on disk: an acked delivery survives a power
        // cut, not only a crash. Set here, on the writer, because the pool turns its writer
        // to synchronous=NORMAL when it enables WAL, after prepareDatabase has run.
        try pool.writeWithoutTransaction { try $0.execute(sql: flushed ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF") }
        try pool.writeWithoutTransaction { _ = try Schema.enableIncrementalVacuum($0) }
        try Schema.migrator.migrate(pool)
    }

    func transaction<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try pool.write { try body(SQLiteDatabase($0)) }
    }

    func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try pool.read { try body(SQLiteDatabase($0)) }
    }

    /// PASSIVE: it never waits on readers.
    func checkpoint() throws {
        _ = try pool.writeWithoutTransaction { try $0.checkpoint(.passive) }
    }

    /// In steps of `step` pages (4 MiB), once more than a tenth of the file is free: steady
    /// retention reuses its own free pages, and only a large purge shrinks the file.
    func returnFreePages(step: Int) throws -> Int {
        try pool.writeWithoutTransaction { db in
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let total = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let spare = free - max(total / 10, step)
            guard spare > 0 else { return 0 }
            let pages = min(spare, step)
            try db.execute(sql: "PRAGMA incremental_vacuum(\(pages))")
            return pages
        }
    }

    /// The file lock says whether the writer lives; nothing to show.
    func keepAlive() {}
}
