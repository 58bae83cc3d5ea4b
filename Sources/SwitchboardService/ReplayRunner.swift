import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardReplay
import SwitchboardStore

/// Runs `replay.run` beside the writer, one at a time, on a thread of its own: it reads the
/// window from a snapshot through a read connection of its own (the writer never waits for
/// it), replays it in scratch stores, and hands the answer to the writer through the inbox,
/// which logs, counts and delivers it as any command's.
final class ReplayRunner: Sendable {
    private let location: StoreLocation
    /// Where retention purges to: the replay reads the window's purged requests back from it.
    private let archiveDirectory: String
    private let awayAfterMissed: Int
    /// The service's own seed: a replay given none draws as the service does.
    private let serviceSeed: UInt64?
    private let inbox: WriterInbox
    private let running = Mutex(false)

    init(location: StoreLocation, archiveDirectory: String?, awayAfterMissed: Int, serviceSeed: UInt64?, inbox: WriterInbox) {
        self.location = location
        self.archiveDirectory = archiveDirectory ?? SwitchboardStore.defaultArchiveDirectory(for: location)
        self.awayAfterMissed = awayAfterMissed
        self.serviceSeed = serviceSeed
        self.inbox = inbox
    }

    /// Starts a replay for the asker; false when one is running already.
    func start(_ query: ReplayQuery, for asker: WriterInbox.AnsweredAside.Asker, user: String?, messageId: String?) -> Bool {
        guard running.withLock({ busy in
            defer { busy = true }
            return !busy
        }) else { return false }
        let thread = Thread { [self] in
            // The lowest priority for this thread alone (on Linux, `who` 0 is the calling
            // thread): on a machine the writer shares with the broker, a replay takes what the
            // hot path leaves. At nice 0 the intake's p99 rose 1.4-7x during a replay
            // (switchboard-bench --only replay).
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            let outcome = replay(query)
            running.withLock { $0 = false }
            inbox.answered(WriterInbox.AnsweredAside(asker: asker, command: CommandName.replayRun.rawValue, user: user,
                                                     messageId: messageId, outcome: outcome))
        }
        thread.name = "switchboard replay"
        thread.start()
        return true
    }

    static let busy = CommandError(.conflict, "a replay is running; one runs at a time, try again when it has answered")

    private func replay(_ query: ReplayQuery) -> Result<CommandResult, CommandError> {
        do {
            let day = try StoreReader(location: location).recordedDay(since: query.since, until: query.until,
                                                                   archiveDirectory: archiveDirectory)
            let changes: ReplayChanges
            switch ReplayChanges.parse(query.changes, operators: Set(day.operators.map(\.id)), sources: Set(day.sources.map(\.id))) {
            case let .success(parsed): changes = parsed
            case let .failure(error):
                return .failure(.validation(error.details.map { FieldProblem(field: "changes.\($0.field)", problem: $0.problem) }))
            }
            return .success(.replay(try Replay.run(day, changes: changes, seed: query.seed ?? serviceSeed ?? ReplayQuery.defaultSeed,
                                                 awayAfterMissed: awayAfterMissed)))
        } catch let error as CommandError {
            return .failure(error)
        } catch {
            return .failure(CommandError(.internalError, "the replay failed: \(error)"))
        }
    }
}
