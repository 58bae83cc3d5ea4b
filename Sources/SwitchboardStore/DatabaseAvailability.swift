import GRDB
import Postgres

extension SwitchboardStore {
    /// Whether `error` says the database cannot take writes just now (a full disk, an I/O
    /// error, a read-only file, a lock held elsewhere) rather than that something in the
    /// batch is wrong: the same batch can commit once the disk is back.
    public static func isUnavailable(_ error: any Error) -> Bool {
        // Whatever stops the archive (a full disk, a read-only or missing folder, a
        // permission) is the machine's, never the batch's: failing the batch instead would
        // have its deliveries redelivered until the broker dead-letters them.
        if error is ArchiveError { return true }
        if let error = error as? PostgresError, !error.isConnectionFatal, let state = error.sqlState {
            return unavailableStates.contains { state.hasPrefix($0) }
        }
        guard let error = error as? DatabaseError else { return false }
        return unavailableCodes.contains(error.resultCode)
    }

    /// Whether `error` says the store's PostgreSQL session is gone, and with it the writer's
    /// lock: this store can write nothing more, and the process must stop consuming and
    /// open the store again (standing by if another instance took over meanwhile).
    public static func isSessionLost(_ error: any Error) -> Bool {
        (error as? PostgresError)?.isConnectionFatal ?? false
    }

    private static let unavailableCodes: [ResultCode] = [
        .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_NOMEM,
        .SQLITE_PROTOCOL,
    ]

    /// PostgreSQL's SQLSTATEs (or their classes) for the same: out of disk or memory (53),
    /// an I/O failure (58), a server in recovery (read-only transactions, 25006).
    private static let unavailableStates = ["53", "58", "25006"]
}
