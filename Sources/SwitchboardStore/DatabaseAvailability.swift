import GRDB
import Postgres

/// What a failure of the database means for the writer, the same on SQLite and PostgreSQL:
/// the few cases the writer acts on, each with a message an operator can act on. SQLite's
/// result codes, PostgreSQL's SQLSTATEs and the archive's errors all map here.
public struct StoreFailure: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The database cannot take writes just now (a full disk, an I/O error, a read-only
        /// file or server, a lock held by another connection, no memory): the same batch can
        /// commit once that passes, so the writer holds it and tries again.
        case unavailable
        /// The PostgreSQL session is gone, and the writer's lock with it: stop consuming and
        /// open the store again (standing by if another instance took over meanwhile).
        case sessionLost
        /// Another process writes this database: stand by.
        case heldElsewhere
        /// Anything else: a fault in this program or a database it does not know.
        case fault
    }

    public var kind: Kind
    /// What went wrong, in the operator's words.
    public var reason: String
    /// What to do about it.
    public var wayOn: String
    public var underlying: String

    public var description: String { "\(reason) — \(wayOn) (\(underlying))" }

    public init(_ error: any Error) {
        underlying = "\(error)"
        switch error {
        case let error as StoreFailure: self = error
        case let error as StoreError where error.isHeldElsewhere:
            (kind, reason, wayOn) = (.heldElsewhere, "another instance writes this database", "this one stands by and takes over when it goes")
        case let error as ArchiveError:
            (kind, reason, wayOn) = (.unavailable, "the archive cannot be written at \(error.path)",
                                     "free space there or let this user write it (SWITCHBOARD_ARCHIVE_DIR); the writer tries again")
        case let error as PostgresError where error.isConnectionFatal:
            (kind, reason, wayOn) = (.sessionLost, "the session with the PostgreSQL server was lost",
                                     "check that the server runs and answers (SWITCHBOARD_DB); the store is opened again")
        case let error as PostgresError:
            (kind, reason, wayOn) = Self.meaning(ofState: error.sqlState ?? "")
        case let error as DatabaseError:
            (kind, reason, wayOn) = Self.meaning(of: error.resultCode)
        default:
            (kind, reason, wayOn) = (.fault, "the database refused the work", "see the error; the batch is handed back to the broker")
        }
    }

    private static let retrying = "the writer holds the batch and tries again"

    private static func meaning(of code: ResultCode) -> (Kind, String, String) {
        switch code.primaryResultCode {
        case .SQLITE_FULL: (.unavailable, "the disk that holds the database is full", "free space on it; \(retrying)")
        case .SQLITE_IOERR, .SQLITE_PROTOCOL: (.unavailable, "the database's disk failed a read or write", "check the disk; \(retrying)")
        case .SQLITE_READONLY: (.unavailable, "the database file is read-only", "let this user write it; \(retrying)")
        case .SQLITE_CANTOPEN: (.unavailable, "the database file cannot be opened", "check that its folder exists and is writable; \(retrying)")
        case .SQLITE_BUSY, .SQLITE_LOCKED: (.unavailable, "another connection holds the database locked", retrying)
        case .SQLITE_NOMEM: (.unavailable, "the database ran out of memory", retrying)
        default: (.fault, "SQLite refused the work", "see the error; the batch is handed back to the broker")
        }
    }

    /// PostgreSQL's SQLSTATEs (or their classes) for the same: out of disk or memory (53),
    /// an I/O failure (58), a server in recovery (read-only transactions, 25006).
    private static func meaning(ofState state: String) -> (Kind, String, String) {
        if state == "53100" { return (.unavailable, "the PostgreSQL server's disk is full", "free space on it; \(retrying)") }
        if state.hasPrefix("53") { return (.unavailable, "the PostgreSQL server is out of resources", retrying) }
        if state.hasPrefix("58") { return (.unavailable, "the PostgreSQL server failed a read or write", "check its disk; \(retrying)") }
        if state == "25006" {
            return (.unavailable, "the PostgreSQL server takes no writes (a standby or in recovery)",
                    "point SWITCHBOARD_DB at the primary; \(retrying)")
        }
        return (.fault, "PostgreSQL refused the work", "see the error; the batch is handed back to the broker")
    }
}

extension SwitchboardStore {
    /// Whether `error` says the database cannot take writes just now rather than that
    /// something in the batch is wrong: the same batch can commit once the disk is back.
    /// Whatever stops the archive (a full disk, a read-only or missing folder, a permission)
    /// is the machine's, never the batch's: failing the batch instead would have its
    /// deliveries redelivered until the broker dead-letters them.
    public static func isUnavailable(_ error: any Error) -> Bool { StoreFailure(error).kind == .unavailable }

    /// Whether `error` says the store's PostgreSQL session is gone, and with it the writer's lock.
    public static func isSessionLost(_ error: any Error) -> Bool { StoreFailure(error).kind == .sessionLost }
}
