import Foundation

/// Processes under a process, read from /proc: the replay's worker runs under setsid(1),
/// which the service starts for each `replay.run`.
public enum ProcessTree {
    /// A process's children, from every thread's /proc children list.
    public static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    /// The `switchboard --replay-worker` among a service's children and theirs.
    public static func replayWorker(under service: Int32) -> Int32? {
        children(of: service).flatMap { [$0] + children(of: $0) }.first { pid in
            let arguments = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return String(decoding: arguments, as: UTF8.self).split(separator: "\0").last == "--replay-worker"
                && (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"))?.hasSuffix("/switchboard") == true
        }
    }
}
