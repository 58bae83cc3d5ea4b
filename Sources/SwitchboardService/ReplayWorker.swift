import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SwitchboardCore
import SwitchboardReplay
import SwitchboardStore

/// A replay runs in a process of its own (`switchboard --replay-worker`), started by the
/// service for each `replay.run`: its own session, hence on Linux its own scheduling group,
/// at nice 19 there. A thread at nice 19 inside the service did not yield: with autogroups
/// (the default on desktop and server kernels alike) nice weighs threads only against their
/// own session's, so the replay took a whole core from the broker's group and the intake's
/// p99 rose 6.9x while it ran (switchboard-bench --only replay). Its memory is its own too,
/// and goes when it ends.
///
/// The job goes in on standard input, one line of JSON, and the answer comes out on standard
/// output as a reply envelope. Standard input stays open while the service waits: when the
/// service ends, even by kill -9, the worker reads its end and exits.
public enum ReplayWorker {
    /// The hidden flag that makes `switchboard` a worker.
    public static let flag = "--replay-worker"
    /// util-linux's setsid, in every Debian and in the image.
    static let sessionStarter = "/usr/bin/setsid"

    struct Job: Codable {
        var db: String
        var archiveDirectory: String
        var awayAfterMissed: Int
        var since: Int64
        var until: Int64
        var changes: JSONValue
        /// As text: a seed is any UInt64, which JSON's integers may not carry exactly.
        var seed: String
    }

    // MARK: The service's side

    /// Runs `job` in a worker process and waits for its answer.
    static func run(executable: String, _ job: Job) -> Result<CommandResult, CommandError> {
        let process = Process()
        // Foundation starts a child as a process group's leader, which may not start a
        // session of its own; setsid(1) forks it once more so that it can.
        // Named through /proc/self/exe, this executable is setsid(1)'s own once it runs:
        // the path it links to is named instead (unless the file was replaced meanwhile).
        let named = (try? FileManager.default.destinationOfSymbolicLink(atPath: executable)) ?? executable
        if FileManager.default.isExecutableFile(atPath: sessionStarter), FileManager.default.isExecutableFile(atPath: named) {
            process.executableURL = URL(fileURLWithPath: sessionStarter)
            process.arguments = ["--wait", named, flag]
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [flag]
        }
        let (input, output) = (Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = output
        do {
            try process.run()
            var line = try JSONEncoder().encode(job)
            line.append(UInt8(ascii: "\n"))
            try input.fileHandleForWriting.write(contentsOf: line)
        } catch {
            return .failure(CommandError(.internalError, "the replay's process could not be started: \(error)"))
        }
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return reply(answer, status: process.terminationStatus)
    }

    /// The worker's reply envelope as a command's outcome.
    static func reply(_ bytes: Data, status: Int32) -> Result<CommandResult, CommandError> {
        struct Envelope: Decodable {
            var ok: Bool
            var result: ReplayReport?
            var error: CommandError?
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: bytes) else {
            return .failure(CommandError(.internalError, "the replay's process ended (status \(status)) without an answer; the service log has its error"))
        }
        if envelope.ok, let report = envelope.result { return .success(.replay(report)) }
        return .failure(envelope.error ?? CommandError(.internalError, "the replay's process answered neither a report nor an error"))
    }

    // MARK: The worker's side

    /// The worker's whole life; returns its exit status.
    public static func main() -> Int32 {
        leaveTheServicesGroup()
        guard let line = readLine(strippingNewline: true) else { return 1 }
        watchForTheServiceToEnd()
        let outcome: Result<CommandResult, CommandError>
        if let job = try? JSONDecoder().decode(Job.self, from: Data(line.utf8)) {
            outcome = replay(job)
        } else {
            outcome = .failure(CommandError(.internalError, "the replay's job could not be read"))
        }
        FileHandle.standardOutput.write(Data(Reply(outcome).jsonBytes()))
        return 0
    }

    static func replay(_ job: Job) -> Result<CommandResult, CommandError> {
        do {
            let day = try StoreReader(location: StoreLocation(job.db)).recordedDay(
                since: Timestamp(milliseconds: job.since), until: Timestamp(milliseconds: job.until), archiveDirectory: job.archiveDirectory)
            let changes: ReplayChanges
            switch ReplayChanges.parse(job.changes, operators: Set(day.operators.map(\.id)), sources: Set(day.sources.map(\.id))) {
            case let .success(parsed): changes = parsed
            case let .failure(error):
                return .failure(.validation(error.details.map { FieldProblem(field: "changes.\($0.field)", problem: $0.problem) }))
            }
            return .success(.replay(try Replay.run(day, changes: changes, seed: UInt64(job.seed) ?? ReplayQuery.defaultSeed,
                                                 awayAfterMissed: job.awayAfterMissed)))
        } catch let error as CommandError {
            return .failure(error)
        } catch {
            return .failure(CommandError(.internalError, "the replay failed: \(error)"))
        }
    }

    /// A session of its own, and the lowest priority both for its group and within it.
    private static func leaveTheServicesGroup() {
        _ = setsid()
        // Only a session's leader has an autogroup of its own: without one, the nice set
        // here would be the whole session's, the service's among them.
        if getsid(0) == getpid() {
            let autogroup = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC)
            if autogroup >= 0 {
                _ = "19".withCString { write(autogroup, $0, 2) }
                close(autogroup)
            }
        }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
    }

    /// Standard input ends when the service closes it or ends: nobody waits for the answer.
    private static func watchForTheServiceToEnd() {
        let watcher = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(STDIN_FILENO, &byte, 1)
                if count == 0 || (count < 0 && errno != EINTR) { break }
            }
            _exit(3)
        }
        watcher.start()
    }
}
