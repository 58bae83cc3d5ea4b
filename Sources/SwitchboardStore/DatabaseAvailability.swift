import GRDB

extension SwitchboardStore {
    /// Whether `error` says the database cannot take writes just now (a full disk, an I/O
    /// error, a read-only file, a lock held elsewhere) rather than that something in the
    /// batch is wrong: the same batch can commit once the disk is back.
    public static func isUnavailable(_ error: any Error) -> Bool {
        // Whatever stops the archive (a full disk, a read-only or missing folder, a
        // permission) is the machine's, never the batch's: failing the batch instead would
        // have its deliveries redelivered until the broker dead-letters them.
        if error is ArchiveError { return true }
        guard let error = error as? DatabaseError else { return false }
        return unavailableCodes.contains(error.resultCode)
    }

    private static let unavailableCodes: [ResultCode] = [
        .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_NOMEM,
        .SQLITE_PROTOCOL,
    ]
}
