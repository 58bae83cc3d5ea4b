import Foundation

/// Runs blocking work (rabbitmq-c calls) on a thread of its own, never on the Swift
/// concurrency pool, and hands the result back to async code.
///
/// The work runs as part of the calling task, on a task executor that owns the thread, so
/// task-local values stay in force inside it. A test's `#expect` in the work therefore counts
/// against that test: recorded from a bare thread it would belong to no test, and Swift
/// Testing hands such an issue to every scope that is collecting issues at that moment (one
/// failing service test once failed three unrelated property checks that way).
public enum DedicatedThread {
    public static func run<T: Sendable>(
        name: String = "amqp", _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let executor = ThreadExecutor(name: name)
        defer { executor.finish() }
        return try await withTaskExecutorPreference(executor) {
            // A child task: it starts by being enqueued, so on the preferred executor. The
            // closure itself would run on whatever thread the caller was on.
            async let result = body()
            return try await result
        }
    }
}

/// A task executor with one thread, which runs its jobs in order until it is finished.
private final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []  // guarded by condition
    private var finished = false  // guarded by condition

    init(name: String) {
        // Named by the kernel's own file for it (15 bytes at most): Foundation's `name` is
        // applied only once the starting thread has stored the new thread's handle, which
        // the new thread can outrun (1 start in 300 kept the starting thread's name).
        let thread = Thread { [self] in
            try? String(name.prefix(15)).write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            runJobs()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once it has run what is queued.
    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while let job = nextJob() {
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    private func nextJob() -> UnownedJob? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty, !finished { condition.wait() }
        return jobs.isEmpty ? nil : jobs.removeFirst()
    }
}
