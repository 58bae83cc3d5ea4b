import CoreMetrics
import Synchronization

/// Running totals since start, readable from any thread; `service.status` and the dashboard
/// report them. The one place each is counted: those that /metrics exports too are passed on
/// to their swift-metrics counter as they are added, so no caller counts anything twice.
public final class ServiceMetrics: Sendable {
    public enum Counter: String, CaseIterable, Sendable {
        case requestsAccepted = "requests_accepted"
        case requestsAssigned = "requests_assigned"
        case requestsWaiting = "requests_waiting"
        /// New requests offered on intake (sources with offers).
        case requestsOffered = "requests_offered"
        /// Passes of the writer over offers whose deadline came while nothing else arrived.
        case deadlineBatches = "deadline_batches"
        case duplicates
        case deadLettered = "dead_lettered"
        case commands
        case commandErrors = "command_errors"
        /// Commands refused by the access rule (also counted in command_errors).
        case commandsForbidden = "commands_forbidden"
        case batches
        case eventsPublished = "events_published"
        /// Refusals (nacks) of an event by the broker, each attempt counted.
        case eventsRefused = "events_refused"
        /// Refused events set aside once SWITCHBOARD_EVENT_RETRY_FOR had passed.
        case eventsSetAside = "events_set_aside"
        /// Refused events published again, each attempt counted.
        case eventRetries = "event_retries"
        case reconnects
        /// Requests assigned (on intake, from the waiting line, or by accepting an offer),
        /// and the milliseconds they had waited in all: the dashboard's time to assign.
        case assignments
        case assignmentWaitMilliseconds = "assignment_wait_ms"
        /// Intake and command message ids forgotten, older than the dedupe window.
        case messageIdsForgotten = "message_ids_forgotten"
        /// Closed requests archived and deleted (SWITCHBOARD_RETAIN_CLOSED and request.purge).
        case requestsPurged = "requests_purged"
        /// Audit rows older than SWITCHBOARD_RETAIN_AUDIT, deleted.
        case auditRowsForgotten = "audit_rows_forgotten"
        /// Presence changes older than SWITCHBOARD_RETAIN_AUDIT, deleted.
        case presenceChangesForgotten = "presence_changes_forgotten"
        /// Pages of the database file given back to the file system after purges.
        case pagesReturned = "pages_returned"
        /// Requests escalated for waiting past their source's max wait.
        case requestsEscalated = "requests_escalated"
        /// Wrap-ups that ended, at their time or by `operator.end_wrap_up`.
        case wrapUpsEnded = "wrap_ups_ended"
    }

    /// The totals /metrics exports as counters of their own, by their series' names.
    static let exported: [Counter: String] = [
        .reconnects: "switchboard_reconnects_total",
        .requestsPurged: "switchboard_requests_purged_total",
        .requestsEscalated: "switchboard_requests_escalated_total",
        .wrapUpsEnded: "switchboard_wrap_ups_ended_total",
        .eventsSetAside: "switchboard_events_set_aside_total",
        .eventRetries: "switchboard_event_retries_total",
    ]

    private let values = Mutex([Int](repeating: 0, count: Counter.allCases.count))
    private let series: [Counter: CoreMetrics.Counter]

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        series = Self.exported.mapValues { CoreMetrics.Counter(label: $0, factory: factory) }
    }

    public func add(_ counter: Counter, _ amount: Int = 1) {
        guard amount != 0 else { return }
        let index = Counter.allCases.firstIndex(of: counter)!
        values.withLock { $0[index] += amount }
        series[counter]?.increment(by: amount)
    }

    public subscript(_ counter: Counter) -> Int {
        let index = Counter.allCases.firstIndex(of: counter)!
        return values.withLock { $0[index] }
    }

    public func snapshot() -> [String: Int] {
        Dictionary(uniqueKeysWithValues: Counter.allCases.map { ($0.rawValue, self[$0]) })
    }
}
