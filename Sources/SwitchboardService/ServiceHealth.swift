import Synchronization

/// Where the service stands, for the probes: set by the pipeline thread as it connects,
/// consumes, stands by or fails, read from anywhere.
public enum ServicePhase: Sendable, Equatable {
    case starting
    /// Consuming the requests and control queues with a writable database.
    case active
    /// Another instance is active on the prefix (or holds the database).
    case standby(String)
    case brokerUnavailable(String)
    case databaseUnavailable(String)
    case stopping
    case stopped

    /// Ready to take traffic: consuming, with a writable database.
    public var isReady: Bool { self == .active }

    /// `active` or `standby`, as `service.status` says it; nil before either is known.
    public var role: String? {
        switch self {
        case .active: "active"
        case .standby: "standby"
        default: nil
        }
    }

    /// The reason in words, as the probes give it.
    public var reason: String {
        switch self {
        case .starting: "starting"
        case .active: "consuming, database writable"
        case let .standby(why): "standing by: \(why)"
        case let .brokerUnavailable(why): "broker not connected: \(why)"
        case let .databaseUnavailable(why): "database not writable: \(why)"
        case .stopping: "stopping"
        case .stopped: "stopped"
        }
    }
}

public final class ServiceHealth: Sendable {
    private let current = Mutex(ServicePhase.starting)

    public init() {}

    public var phase: ServicePhase { current.withLock { $0 } }

    func set(_ phase: ServicePhase) {
        current.withLock { state in
            // Once stopping, only the end may follow: a late failure must not say otherwise.
            if state == .stopping, phase != .stopped { return }
            state = phase
        }
    }
}
