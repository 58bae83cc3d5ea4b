import Prometheus
import Synchronization
import SwitchboardCore
import SwitchboardStore

/// The /metrics endpoint's registry (swift-prometheus renders it; nothing here writes the
/// exposition format). The writer's counters and histograms arrive through swift-metrics
/// and ``factory``; the gauges of the floor are set from a ``FloorSnapshot`` at each scrape.
public final class MetricsExposition: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics backend to give the service: histogram buckets sized for what each
    /// one measures.
    public let factory: PrometheusMetricsFactory
    private let maxOperators: Int
    /// By reason: `unmatched` (a skill nobody has at the level required) or `no_capacity`
    /// (operators with the skills exist, none eligible with room).
    private let waiting: (unmatched: Gauge, noCapacity: Gauge)
    private let oldestWaiting: Gauge
    private let offered: Gauge
    private let outboxPending: Gauge
    private let eventsRetrying: Gauge
    private let active: Gauge
    private let presence: [Presence: Gauge]
    private let operatorSeries = Mutex<[Int64: OperatorSeries]>([:])

    private struct OperatorSeries {
        var load: Gauge
        var capacity: Gauge
        var offered: Gauge
        /// `switchboard_operator_channel_load{operator_id,channel}`, by channel.
        var channels: [String: Gauge] = [:]
    }

    public init(maxOperators: Int) {
        self.maxOperators = maxOperators
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            // A transaction is a fraction of a millisecond to a few when a disk flush is slow.
            "switchboard_transaction_seconds": [200, 500, 1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000, 500_000].map { .microseconds($0) },
            // Time to assign is zero for most requests, then seconds to an hour when a line builds.
            "switchboard_time_to_assign_seconds": [1, 1_000, 5_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000].map { .milliseconds($0) },
        ]
        factory.valueHistogramBuckets = ["switchboard_batch_size": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]]
        self.factory = factory
        waiting = (
            Self.gauge(registry, "switchboard_waiting_requests", "Requests waiting for an operator", labels: [("reason", "unmatched")]),
            Self.gauge(registry, "switchboard_waiting_requests", "Requests waiting for an operator", labels: [("reason", "no_capacity")]))
        oldestWaiting = Self.gauge(registry, "switchboard_oldest_waiting_seconds", "How long the oldest waiting request has waited")
        offered = Self.gauge(registry, "switchboard_offered_requests", "Requests on offer, not yet accepted")
        outboxPending = Self.gauge(registry, "switchboard_outbox_pending", "Committed events not yet confirmed by the broker")
        eventsRetrying = Self.gauge(registry, "switchboard_events_retrying", "Events the broker refused, published again until it takes them")
        active = Self.gauge(registry, "switchboard_active", "1 on the active instance, 0 on a standby (or while starting)")
        presence = Dictionary(uniqueKeysWithValues: Presence.allCases.map { state in
            (state, Self.gauge(registry, "switchboard_operators", "Operators by presence", labels: [("presence", state.rawValue)]))
        })
    }

    /// The exposition text with the floor's gauges set from `floor`, and `role` (`active`,
    /// `standby`, nil while neither) as `switchboard_active`.
    public func render(_ floor: FloorSnapshot, role: String?) -> [UInt8] {
        active.set(Int64(role == "active" ? 1 : 0))
        waiting.unmatched.set(Int64(floor.unmatchedWaiting))
        waiting.noCapacity.set(Int64(floor.waitingCount - floor.unmatchedWaiting))
        oldestWaiting.set(floor.oldestWaitingSeconds)
        offered.set(Int64(floor.offeredCount))
        outboxPending.set(Int64(floor.outboxPending))
        eventsRetrying.set(Int64(floor.eventsRetrying))
        for state in Presence.allCases {
            presence[state]?.set(Int64(floor.operators.count { $0.presence == state }))
        }
        operatorSeries.withLock { series in
            let shown = floor.operators.prefix(maxOperators)
            let ids = Set(shown.map(\.operatorId))
            // Deleted operators, and those past the bound, stop being reported.
            for (id, gone) in series where !ids.contains(id) {
                registry.unregisterGauge(gone.load)
                registry.unregisterGauge(gone.capacity)
                registry.unregisterGauge(gone.offered)
                gone.channels.values.forEach(registry.unregisterGauge)
                series[id] = nil
            }
            for row in shown {
                var entry = series[row.operatorId] ?? makeSeries(row.operatorId)
                entry.load.set(Int64(row.currentLoad))
                entry.capacity.set(Int64(row.maxLoadLimit))
                entry.offered.set(Int64(row.offered))
                for channel in row.byChannel {
                    let gauge = entry.channels[channel.channel] ?? Self.gauge(
                        registry, "switchboard_operator_channel_load", "Requests an operator holds of one channel",
                        labels: [("operator_id", String(row.operatorId)), ("channel", channel.channel)])
                    entry.channels[channel.channel] = gauge
                    gauge.set(Int64(channel.load))
                }
                series[row.operatorId] = entry
            }
        }
        return registry.emitToBuffer()
    }

    private static func gauge(_ registry: PrometheusCollectorRegistry, _ name: String, _ help: String,
                              labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }

    private func makeSeries(_ id: Int64) -> OperatorSeries {
        let labels = [("operator_id", String(id))]
        return OperatorSeries(
            load: Self.gauge(registry, "switchboard_operator_load", "Requests an operator holds (assigned and offered)", labels: labels),
            capacity: Self.gauge(registry, "switchboard_operator_capacity", "An operator's max load limit", labels: labels),
            offered: Self.gauge(registry, "switchboard_operator_offered", "Of an operator's load, the requests on offer", labels: labels))
    }
}
