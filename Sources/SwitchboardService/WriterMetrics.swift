import CoreMetrics
import SwitchboardCore
import SwitchboardStore

/// What the writer counts by label and times, through swift-metrics: the backend (Prometheus
/// in the `switchboard` executable, nothing in tests that do not ask) is the factory given.
/// Plain running totals are ``ServiceMetrics``', which passes on those /metrics exports. Used on
/// the pipeline thread only; each series is made once and kept, so the hot path is an
/// atomic add, never a registry lookup.
final class WriterMetrics {
    private let factory: any MetricsFactory
    private var requests: [BatchFigures.IntakeKey: Counter] = [:]
    private var deadLetters: [String: Counter] = [:]
    private var commands: [CommandKey: Counter] = [:]
    private var events: [String: Counter] = [:]
    private var relaxed: [String: Counter] = [:]
    private let refusedWrites: Counter
    private let batchSize: Recorder
    private let transaction: Timer
    private let timeToAssign: Timer

    private struct CommandKey: Hashable {
        var command: String
        var outcome: String
    }

    init(factory: any MetricsFactory) {
        self.factory = factory
        refusedWrites = Counter(label: "switchboard_database_refused_writes_total", factory: factory)
        batchSize = Recorder(label: "switchboard_batch_size", aggregate: true, factory: factory)
        transaction = Timer(label: "switchboard_transaction_seconds", factory: factory)
        timeToAssign = Timer(label: "switchboard_time_to_assign_seconds", factory: factory)
    }

    func applied(_ figures: BatchFigures, items: Int, transaction elapsed: Duration) {
        for (key, count) in figures.intake {
            series(key, in: &requests, "switchboard_requests_total", [("source", key.source), ("outcome", key.outcome)])
                .increment(by: count)
        }
        for waited in figures.assignmentWaits { timeToAssign.recordMilliseconds(waited) }
        for (skill, count) in figures.relaxed {
            series(skill, in: &relaxed, "switchboard_requirements_relaxed_total", [("skill", skill)]).increment(by: count)
        }
        if items > 0 { batchSize.record(items) }
        transaction.record(elapsed)
    }

    func deadLettered(_ code: String) {
        series(code, in: &deadLetters, "switchboard_dead_letters_total", [("code", code)]).increment()
    }

    /// A command answered; `command` is nil for one that named none (kept as `-`, so that a
    /// sender cannot make new series by inventing names: unknown names count as `unknown`).
    func answered(_ command: String?, outcome: String) {
        let name = command.map { CommandName(rawValue: $0) != nil ? $0 : "unknown" } ?? "-"
        series(CommandKey(command: name, outcome: outcome), in: &commands, "switchboard_commands_total",
               [("command", name), ("outcome", outcome)]).increment()
    }

    func published(_ routingKey: String) {
        series(routingKey, in: &events, "switchboard_events_total", [("type", routingKey)]).increment()
    }

    /// The database refused a write it may take later (a full disk): the batch is held and retried.
    func databaseUnavailable() { refusedWrites.increment() }

    /// The counter of one label set, made at its first use and kept in `table`. The labels
    /// are built only then: this runs for every event published.
    private func series<Key: Hashable>(_ key: Key, in table: inout [Key: Counter], _ label: String,
                                       _ dimensions: @autoclosure () -> [(String, String)]) -> Counter {
        if let counter = table[key] { return counter }
        let counter = Counter(label: label, dimensions: dimensions(), factory: factory)
        table[key] = counter
        return counter
    }
}

extension Timer {
    func record(_ duration: Duration) {
        recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
