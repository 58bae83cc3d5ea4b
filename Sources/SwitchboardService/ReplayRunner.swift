import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardReplay
import SwitchboardStore

/// Runs `replay.run` beside the writer, one at a time, in a worker process waited for on a
/// thread of its own: the worker reads the window from a snapshot through a read connection
/// of its own (the writer never waits for it) and replays it in scratch stores; the answer
/// goes to the writer through the inbox, which logs, counts and delivers it as any command's.
final class ReplayRunner: Sendable {
    private let location: StoreLocation
    /// Where retention purges to: the replay reads the window's purged requests back from it.
    private let archiveDirectory: String
    private let worker: String
    private let awayAfterMissed: Int
    /// The service's own seed: a replay given none draws as the service does.
    private let serviceSeed: UInt64?
    private let inbox: WriterInbox
    private let running = Mutex(false)

    init(location: StoreLocation, archiveDirectory: String?, worker: String, awayAfterMissed: Int, serviceSeed: UInt64?,
         inbox: WriterInbox) {
        self.location = location
        self.worker = worker
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

    /// In a worker process (``ReplayWorker``), which this thread waits for.
    private func replay(_ query: ReplayQuery) -> Result<CommandResult, CommandError> {
        ReplayWorker.run(executable: worker, ReplayWorker.Job(
            db: location.setting, archiveDirectory: archiveDirectory, awayAfterMissed: awayAfterMissed, since: query.since.milliseconds,
            until: query.until.milliseconds, changes: query.changes, seed: String(query.seed ?? serviceSeed ?? ReplayQuery.defaultSeed)))
    }
}
