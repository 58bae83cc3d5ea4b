import Foundation

/// One folder per test process for the files tests write (databases, logs, documents),
/// removed when the process exits, so that test runs do not pile up files in /tmp.
public enum ScratchFolder {
    public static let root: URL = {
        let folder = path(forProcess: getpid())
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: ScratchFolder.path(forProcess: getpid())) }
        return folder
    }()

    /// A new, empty folder of its own inside the scratch folder.
    public static func make(_ label: String) -> URL {
        let folder = root.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func path(forProcess pid: Int32) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-tests-\(pid)")
    }
}
