import CompressNIO
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import SwitchboardCore

/// The archive of purged requests: one file a day, `requests-YYYY-MM-DD.ndjson.gz`, each a
/// run of gzip members (`gzip -dc` reads them as one stream), mode 0600 in a 0700 folder.
///
/// Exactly once, with no second commit: the database keeps each file's committed length in
/// `archive_files`. An append first cuts the file back to that length, which drops whatever
/// a transaction that never committed left behind (a crash, a failed commit), then writes
/// its member, fsyncs it, and records the new length in the same transaction as the delete
/// of the rows it holds. A line is in the archive exactly when its row's delete committed.
final class ArchiveFiles {
    let directory: String
    private let compressor: ZlibCompressor

    init(directory: String) throws {
        self.directory = directory
        compressor = try ZlibCompressor(algorithm: .gzip)
    }

    static func fileName(forDay time: Timestamp) -> String {
        "requests-\(time.description.prefix(10)).ndjson.gz"
    }

    /// Appends `lines` (each ending in a newline) to `name` as one gzip member, durably, and
    /// records the file's new length in `db`'s transaction.
    func append(_ lines: [UInt8], to name: String, _ db: any SQLDatabase) throws {
        let committed = try Int64.fetchOne(
            db, sql: "SELECT size FROM archive_files WHERE name = ?", arguments: [name]) ?? 0
        var input = ByteBuffer(bytes: lines)
        var member = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input))
        try compressor.reset()
        try compressor.deflate(from: &input, to: &member, flush: .finish)
        let size = try write(member.readableBytesView, to: name, at: committed)
        try db.execute(sql: "INSERT INTO archive_files (name, size) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET size = excluded.size", arguments: [name, size])
    }

    /// Cuts every file back to its committed length, and removes a file never committed:
    /// what a crash left past it was never deleted from the database, and must not be read
    /// as archived. Run at open.
    func recover(_ db: any SQLDatabase) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let committed = Dictionary(uniqueKeysWithValues: try SQLRow.fetchAll(db, sql: "SELECT name, size FROM archive_files").map {
            ($0[0] as String, $0[1] as Int64)
        })
        for name in names where name.hasPrefix("requests-") && name.hasSuffix(".ndjson.gz") {
            let path = directory + "/" + name
            let size = committed[name] ?? 0
            if size == 0 {
                guard unlink(path) == 0 else { throw ArchiveError(path: path, operation: "remove", code: errno) }
                continue
            }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let length = (attributes[.size] as? NSNumber)?.int64Value, length > size else { continue }
            guard truncate(path, off_t(size)) == 0 else { throw ArchiveError(path: path, operation: "truncate", code: errno) }
        }
    }

    /// Writes `bytes` at `offset` (the committed length, cutting anything past it), fsyncs
    /// the file (and the folder, for a new file), and returns the new length.
    private func write(_ bytes: ByteBufferView, to name: String, at offset: Int64) throws -> Int64 {
        try prepareDirectory()
        let path = directory + "/" + name
        let existed = access(path, F_OK) == 0
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ArchiveError(path: path, operation: "open", code: errno) }
        defer { close(descriptor) }
        // open() applies the umask, which may only take bits away; fchmod is exact.
        if !existed { fchmod(descriptor, 0o600) }
        // Shorter than the database says was committed: these are not the files it recorded
        // (another machine's folder, or a file lost), and writing at the offset would leave a
        // hole where archived lines should be.
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ArchiveError(path: path, operation: "stat", code: errno) }
        guard Int64(status.st_size) >= offset else {
            throw ArchiveError(path: path, operation: "append to", code: EIO, detail: """
                it holds \(status.st_size) bytes, but the database committed \(offset): it is not the archive this \
                database wrote. Instances sharing one database must share one archive folder (SWITCHBOARD_ARCHIVE_DIR); \
                put the missing file back to go on
                """)
        }
        guard ftruncate(descriptor, off_t(offset)) == 0 else { throw ArchiveError(path: path, operation: "truncate", code: errno) }
        var written = 0
        try bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = pwrite(descriptor, buffer.baseAddress! + written, buffer.count - written, off_t(offset) + off_t(written))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ArchiveError(path: path, operation: "write", code: errno)
                }
                written += count
            }
        }
        guard fsync(descriptor) == 0 else { throw ArchiveError(path: path, operation: "fsync", code: errno) }
        if !existed { try syncDirectory() }
        return offset + Int64(written)
    }

    private func prepareDirectory() throws {
        do {
            try DatabaseFiles.createPrivateFolder(directory)
        } catch {
            throw ArchiveError(path: directory, operation: "create the folder", code: EIO, detail: "\(error)")
        }
    }

    /// A new file's name is durable only once its folder is synced.
    private func syncDirectory() throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveError(path: directory, operation: "open", code: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ArchiveError(path: directory, operation: "fsync", code: errno) }
    }
}

/// The archive could not be written: nothing was deleted, and the same purge can run again.
public struct ArchiveError: Error, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32
    public var detail: String?

    init(path: String, operation: String, code: Int32, detail: String? = nil) {
        self.path = path
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    public var description: String {
        "cannot \(operation) the archive \(path): \(detail ?? String(cString: strerror(code)))"
    }
}
