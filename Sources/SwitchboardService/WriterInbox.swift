import AMQP
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SwitchboardCore
import SwitchboardStore

/// What the writer answers a call handed to it from outside the broker (the HTTP API).
public enum WriterAnswer: Sendable {
    /// A command ran (or was refused): its outcome.
    case outcome(Result<CommandResult, CommandError>)
    /// The command's message id ran a change before: the reply it got then, as sent.
    case repeated([UInt8])
    /// An intake request was stored and routed (the request as made), found to be a repeat
    /// (no request: it was made by an earlier batch), or refused.
    case intake(IntakeOutcome, made: Request?)
    /// The writer is not serving (standing by, reconnecting, stopping, or too far behind):
    /// nothing was done, and why.
    case unavailable(String)
}

/// The HTTP API's way into the single writer: calls wait here and are taken into the
/// writer's next batch beside the broker's deliveries, so calls that arrive together commit
/// in one transaction, as the control queue's do, and go through the same code.
///
/// The writer sleeps in `poll` on its broker socket; a pipe's read end beside it wakes it
/// when the first call arrives. The writer never waits on a caller: it hands each answer to
/// a continuation and moves on.
public final class WriterInbox: Sendable {
    struct Call: Sendable {
        var work: WorkItem
        var answer: CheckedContinuation<WriterAnswer, Never>
    }

    /// A command answered beside the writer (the what-if replay), for the writer to log,
    /// count and deliver: a reply on the broker, or a waiting HTTP call's answer.
    struct AnsweredAside: Sendable {
        enum Asker: Sendable {
            case delivery(AMQPDelivery)
            case call(Call)
        }

        var asker: Asker
        var command: String
        var user: String?
        var messageId: String?
        var outcome: Result<CommandResult, CommandError>
    }

    private struct State {
        /// Whether the writer is serving; calls are refused at once while it is not.
        var open = false
        var calls: [Call] = []
        var answeredAside: [AnsweredAside] = []
    }

    /// Calls waiting beyond this are refused as busy: a bound on memory and on how long a
    /// call can wait behind others (at 256 a batch, 16 batches).
    static let mostWaiting = 4_096

    private let state = Mutex(State())
    private let wakeRead: Int32
    private let wakeWrite: Int32

    public init() {
        var ends: [Int32] = [-1, -1]
        // Without a pipe the writer would not wake for a call until its next turn (200 ms at
        // most): slower, never wrong.
        if pipe(&ends) == 0 {
            for end in ends { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        }
        wakeRead = ends[0]
        wakeWrite = ends[1]
    }

    deinit {
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    /// Hands `work` to the writer and waits for its answer, which comes once the work's
    /// effects are committed and its events confirmed by the broker.
    public func submit(_ work: WorkItem) async -> WriterAnswer {
        await withCheckedContinuation { continuation in
            let refusal: String? = state.withLock { state in
                guard state.open else { return "the writer is not serving: it stands by, reconnects or stops" }
                guard state.calls.count < Self.mostWaiting else { return "the writer is \(Self.mostWaiting) calls behind; try again shortly" }
                state.calls.append(Call(work: work, answer: continuation))
                if state.calls.count == 1 { wake() }
                return nil
            }
            if let refusal { continuation.resume(returning: .unavailable(refusal)) }
        }
    }

    /// The descriptor the writer polls beside its broker socket.
    var wakeDescriptor: Int32 { wakeRead }

    var hasWaiting: Bool { state.withLock { !$0.calls.isEmpty || !$0.answeredAside.isEmpty } }

    /// Hands the writer an answer made beside it, and wakes it.
    func answered(_ aside: AnsweredAside) {
        state.withLock { state in
            state.answeredAside.append(aside)
            if state.answeredAside.count == 1 { wake() }
        }
    }

    /// The answers made beside the writer since it last looked.
    func takeAnsweredAside() -> [AnsweredAside] {
        state.withLock { state in
            defer { state.answeredAside = [] }
            return state.answeredAside
        }
    }

    /// Up to `limit` calls, oldest first.
    func take(upTo limit: Int) -> [Call] {
        // Drained first: a call that arrives after the take leaves its wake-up in the pipe.
        drainWakeUps()
        return state.withLock { state in
            guard !state.calls.isEmpty else { return [] }
            let count = min(limit, state.calls.count)
            defer { state.calls.removeFirst(count) }
            return Array(state.calls.prefix(count))
        }
    }

    /// The writer serves from now on.
    func open() { state.withLock { $0.open = true } }

    /// The writer stops serving: every waiting call is answered `unavailable`, and new ones
    /// are refused until it serves again.
    func close(because reason: String) {
        let (waiting, answered) = state.withLock { state in
            state.open = false
            defer { state.calls = [] }
            // A call answered beside the writer has its answer: it gets it now. A reply on the
            // broker waits for the next connection.
            let calls = state.answeredAside.compactMap { aside -> (Call, Result<CommandResult, CommandError>)? in
                if case let .call(call) = aside.asker { return (call, aside.outcome) }
                return nil
            }
            state.answeredAside.removeAll { if case .call = $0.asker { true } else { false } }
            return (state.calls, calls)
        }
        drainWakeUps()
        for call in waiting { call.answer.resume(returning: .unavailable(reason)) }
        for (call, outcome) in answered { call.answer.resume(returning: .outcome(outcome)) }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func drainWakeUps() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &bytes, bytes.count) > 0 {}
    }
}
