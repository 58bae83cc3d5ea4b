import Foundation
import Synchronization

/// What the async world shares with the pipeline thread: a stop request, readiness, and
/// the end of the thread. Everything else stays on the thread.
final class PipelineControl: Sendable {
    private struct State {
        var stopRequested = false
        var ready = false
        var finished = false
        var failure: ServiceFailure?
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
        var readyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let wakeUp = NSCondition()
    let health = ServiceHealth()

    var isStopRequested: Bool { state.withLock { $0.stopRequested } }
    var failure: ServiceFailure? { state.withLock { $0.failure } }

    func requestStop() {
        state.withLock { $0.stopRequested = true }
        health.set(.stopping)
        // Under the condition's lock, so a sleeper between its check and its wait still wakes.
        wakeUp.lock()
        wakeUp.broadcast()
        wakeUp.unlock()
    }

    func markReady() {
        let waiters = state.withLock { state in
            state.ready = true
            defer { state.readyWaiters = [] }
            return state.readyWaiters
        }
        waiters.forEach { $0.resume() }
    }

    func markFinished(failure: ServiceFailure? = nil) {
        health.set(.stopped)
        let waiters = state.withLock { state in
            state.finished = true
            state.failure = failure
            state.ready = true  // release anyone waiting for readiness too
            defer { state.finishWaiters = []; state.readyWaiters = [] }
            return state.finishWaiters + state.readyWaiters
        }
        waiters.forEach { $0.resume() }
    }

    func waitUntilFinished() async {
        await wait { $0.finished ? nil : \.finishWaiters }
    }

    func waitUntilReady() async {
        await wait { $0.ready ? nil : \.readyWaiters }
    }

    /// Suspends until resumed through the waiter list `list` names, or returns at once when
    /// it names none (the awaited state is already reached).
    private func wait(_ list: @escaping @Sendable (State) -> WritableKeyPath<State, [CheckedContinuation<Void, Never>]>?) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                guard let waiters = list(state) else { return true }
                state[keyPath: waiters].append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Sleeps on the pipeline thread, waking early if a stop is requested.
    func sleep(_ duration: Duration) {
        let deadline = Date().addingTimeInterval(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        wakeUp.lock()
        while !isStopRequested, wakeUp.wait(until: deadline) {}
        wakeUp.unlock()
    }
}
