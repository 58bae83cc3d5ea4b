import CompressNIO
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import SwitchboardCore

/// Reading the archive back (the what-if replay's purged requests): only up to each file's
/// committed length in the caller's snapshot, so that a purge running meanwhile neither adds
/// a line twice (its rows still in the snapshot) nor loses one.
enum ArchiveReading {
    /// Calls `line` with every archived request in the files named for a day from `sinceDay`
    /// on (a request is filed under the day it closed, never before the day it arrived).
    static func eachRequest(in directory: String, fromDayOf since: Timestamp, _ db: any SQLDatabase,
                            _ line: (ArchivedRequest) throws -> Void) throws {
        let first = ArchiveFiles.fileName(forDay: since)
        let files = try SQLRow.fetchAll(db, sql: "SELECT name, size FROM archive_files WHERE name >= ? ORDER BY name",
                                        arguments: [first])
        for row in files {
            let name: String = row[0], size: Int64 = row[1]
            let path = directory + "/" + name
            try eachLine(of: try read(path, length: size), path: path) { text in
                do {
                    try line(try JSON.decoder.decode(ArchivedRequest.self, from: Data(text)))
                } catch {
                    throw ArchiveError(path: path, operation: "read", code: EIO, detail: "a line is not an archived request: \(error)")
                }
            }
        }
    }

    /// The file's first `length` bytes: its committed members.
    private static func read(_ path: String, length: Int64) throws -> ByteBuffer {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveError(path: path, operation: "open", code: errno) }
        defer { close(descriptor) }
        var buffer = ByteBufferAllocator().buffer(capacity: Int(length))
        var done = 0
        while done < Int(length) {
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { target in
                pread(descriptor, target.baseAddress!, min(target.count, Int(length) - done), off_t(done))
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw ArchiveError(path: path, operation: "read", code: count < 0 ? errno : EIO,
                                   detail: count < 0 ? nil : "it holds \(done) bytes, the database committed \(length)")
            }
            done += count
        }
        return buffer
    }

    /// Inflates the file's gzip members one after another, handing over each whole line.
    private static func eachLine(of file: ByteBuffer, path: String, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        var input = file
        let inflater = try ZlibDecompressor(algorithm: .gzip)
        var pending: [UInt8] = []
        var output = ByteBufferAllocator().buffer(capacity: 256 * 1024)
        // Each pass ends a member or fills the output (emptied after it), so it moves on.
        while input.readableBytes > 0 {
            output.clear()
            do {
                try inflater.inflate(from: &input, to: &output)
                // Returned without filling the output: this member has ended.
                if input.readableBytes > 0 { try inflater.reset() }
            } catch let error as CompressNIOError where error == .bufferOverflow {
                // The output is full: hand it over and go on with the same member.
            } catch {
                throw ArchiveError(path: path, operation: "read", code: EIO, detail: "not a whole gzip member: \(error)")
            }
            pending += output.readableBytesView
            var start = pending.startIndex
            while let end = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if end > start { try body(pending[start..<end]) }
                start = end + 1
            }
            pending.removeSubrange(..<start)
        }
        guard pending.isEmpty else { throw ArchiveError(path: path, operation: "read", code: EIO, detail: "its last line has no end") }
    }
}
