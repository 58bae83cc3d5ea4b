/// When the writer checkpoints SQLite's write-ahead log (PostgreSQL's server does its own).
/// Each checkpoint also flushes the database file: every 8 commits put that flush on too
/// many messages' paths, every 64 measured best (paced p99 2–5 ms against 1.4–12 ms,
/// switchboard-bench --only latency, four runs each).
enum Checkpoints {
    static let every = 64
    /// Under sustained load nothing is ever idle: the log is bounded all the same.
    static let underLoadEvery = every * 16

    /// With nothing waiting: checkpoint now.
    static func dueWhenIdle(commitsSince commits: Int) -> Bool { commits >= every }

    /// With deliveries waiting: checkpoint before the next batch only when far behind.
    static func dueUnderLoad(commitsSince commits: Int) -> Bool { commits >= underLoadEvery }
}
