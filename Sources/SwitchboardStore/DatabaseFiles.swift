import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The database holds every customer's messages: its folder, when the store creates it, is
/// 0700 and its file 0600 whatever the umask (the archive's folder and files too). SQLite gives the `-wal` and `-shm` files it makes
/// later the database file's own mode, so they are 0600 too.
enum DatabaseFiles {
    static func prepare(_ path: String) throws(StoreError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try createPrivateFolder(folder)
        } catch {
            throw .cannotCreate(path: folder, reason: "\(error)")
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            if errno == EEXIST { return }
            throw .cannotCreate(path: path, reason: String(cString: strerror(errno)))
        }
        // open() applies the umask, which may only take bits away; fchmod is exact.
        fchmod(descriptor, 0o600)
        close(descriptor)
    }

    /// Creates `folder` (and its parents) 0700 when it does not exist: the database's, the archive's.
    static func createPrivateFolder(_ folder: String) throws {
        guard !FileManager.default.fileExists(atPath: folder) else { return }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}

/// One writer per database file, across processes: an exclusive `flock` on `<database>.lock`
/// for as long as the store is open. The kernel drops it when its holder dies, however it
/// dies (kill -9 included), so a process waiting for it can take over at once.
final class DatabaseLock {
    private let descriptor: Int32

    /// Takes the lock, or throws `.databaseInUse` naming the process that holds it.
    init(database: String) throws(StoreError) {
        let path = database + ".lock"
        // Kept in a local until the lock is taken: once every stored property is set, a
        // throwing init still runs deinit, and a second close() there would close whatever
        // descriptor another thread opened with the same number meanwhile (seen: NIO's read
        // of a cgroup file failing with EBADF in a standby retrying for the lock).
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        fchmod(descriptor, 0o600)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var holder = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &holder, holder.count, 0)
            close(descriptor)
            let pid = count > 0 ? Int32(String(decoding: holder[..<count], as: UTF8.self).trimmingWhitespace()) : nil
            throw .databaseInUse(path: database, holderPID: pid)
        }
        // Who holds it, for the message a second process prints.
        let pid = Array("\(getpid())\n".utf8)
        ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}

/// What can stop the store from opening, said so an operator knows what to do.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotCreate(path: String, reason: String)
    /// Another process has the database open for writing.
    case databaseInUse(path: String, holderPID: Int32?)
    /// Another instance holds the PostgreSQL database's writer lock.
    case writerElsewhere(database: String, holder: String)

    /// Another process writes this database: stand by and try again.
    public var isHeldElsewhere: Bool {
        switch self {
        case .databaseInUse, .writerElsewhere: true
        case .cannotCreate: false
        }
    }

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): "cannot create \(path): \(reason)"
        case let .databaseInUse(path, pid):
            "the database \(path) is in use by another switchboard process\(pid.map { " (pid \($0))" } ?? "")"
        case let .writerElsewhere(database, holder): "the database \(database) has its active writer elsewhere: \(holder)"
        }
    }
}
