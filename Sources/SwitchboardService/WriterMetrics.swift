import CoreMetrics
import SwitchboardCore
import SwitchboardStore

/// What the writer counts and times, through swift-metrics: the backend (Prometheus in the
/// `switchboard` executable, nothing in tests that do not ask) is the factory given. Used on
/// the pipeline thread only; each series is made once and kept, so the hot path is an
/// atomic add, never a registry lookup.
final class WriterMetrics {
    private let factory: any MetricsFactory
    private var requests: [BatchFigures.IntakeKey: Counter] = [:]
    private var deadLetters: [String: Counter] = [:]
    private var commands: [CommandKey: Counter] = [:]
    private var events: [String: Counter] = [:]
    private let reconnects: Counter
    private let batchSize: Recorder
    private let transaction: Timer
    private let timeToAssign: Timer

    private struct CommandKey: Hashable {
        var command: String
        var outcome: String
    }

    init(factory: any MetricsFactory) {
        self.factory = factory
        reconnects = Counter(label: "switchboard_reconnects_total", factory: factory)
        batchSize = Recorder(label: "switchboard_batch_size", aggregate: true, factory: factory)
        transaction = Timer(label: "switchboard_transaction_seconds", factory: factory)
        timeToAssign = Timer(label: "switchboard_time_to_assign_seconds", factory: factory)
    }

    func applied(_ figures: BatchFigures, items: Int, transaction elapsed: Duration) {
        for (key, count) in figures.intake {
            let counter = requests[key] ?? Counter(label: "switchboard_requests_total",
                                                   dimensions: [("source", key.source), ("outcome", key.outcome)], factory: factory)
            requests[key] = counter
            counter.increment(by: count)
        }
        for waited in figures.assignmentWaits { timeToAssign.recordMilliseconds(waited) }
        if items > 0 { batchSize.record(items) }
        transaction.record(elapsed)
    }

    func deadLettered(_ code: String) {
        let counter = deadLetters[code] ?? Counter(label: "switchboard_dead_letters_total", dimensions: [("code", code)], factory: factory)
        deadLetters[code] = counter
        counter.increment()
    }

    /// A command answered; `command` is nil for one that named none (kept as `-`, so that a
    /// sender cannot make new series by inventing names: unknown names count as `unknown`).
    func answered(_ command: String?, outcome: String) {
        let name = command.map { Command.names.contains($0) ? $0 : "unknown" } ?? "-"
        let key = CommandKey(command: name, outcome: outcome)
        let counter = commands[key] ?? Counter(label: "switchboard_commands_total",
                                               dimensions: [("command", name), ("outcome", outcome)], factory: factory)
        commands[key] = counter
        counter.increment()
    }

    func published(_ routingKey: String) {
        let counter = events[routingKey] ?? Counter(label: "switchboard_events_total", dimensions: [("type", routingKey)], factory: factory)
        events[routingKey] = counter
        counter.increment()
    }

    func reconnected() { reconnects.increment() }
}

extension Timer {
    func record(_ duration: Duration) {
        recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
