import Foundation

/// Reads an archive folder back with gzip itself, an independent reader of the format:
/// every line of every `requests-*.ndjson.gz`, in file order.
public enum ArchiveReader {
    public struct Line: Sendable {
        public var file: String
        public var text: String
    }

    public static func lines(in directory: String) throws -> [Line] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        var lines: [Line] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
            for text in try gunzip(directory + "/" + name).split(separator: "\n") { lines.append(Line(file: name, text: String(text))) }
        }
        return lines
    }

    public static func gunzip(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ArchiveUnreadable(path: path) }
        return String(decoding: data, as: UTF8.self)
    }

    /// The permission bits of a file or folder.
    public static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    public struct ArchiveUnreadable: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "gzip -dc \(path) failed: not a whole gzip file" }
    }
}
