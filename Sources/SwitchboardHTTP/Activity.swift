import Synchronization
import SwitchboardService

/// The last minutes of traffic, one sample a second, for the dashboard's charts: read from
/// the writer's running totals (a lock and a copy, nothing on the writer's path).
public final class Activity: Sendable {
    public struct Sample: Sendable, Equatable, Codable {
        /// Seconds since the service started.
        public var t: Int
        /// Requests accepted (assigned, offered or waiting) in that second.
        public var requests: Int
        public var assigned: Int
        /// Mean time to assign of the requests assigned in that second, in milliseconds.
        public var timeToAssignMs: Double?

        enum CodingKeys: String, CodingKey {
            case t, requests, assigned
            case timeToAssignMs = "time_to_assign_ms"
        }
    }

    /// Five minutes of samples.
    public static let window = 300
    private let metrics: ServiceMetrics
    private let state = Mutex(State())

    private struct State {
        var samples: [Sample] = []
        var last: (requests: Int, assignments: Int, waited: Int)?
        var ticks = 0
    }

    public init(metrics: ServiceMetrics) { self.metrics = metrics }

    public var samples: [Sample] { state.withLock { $0.samples } }

    /// Takes one sample; called once a second.
    func tick() {
        let now = (requests: metrics[.requestsAccepted], assignments: metrics[.assignments], waited: metrics[.assignmentWaitMilliseconds])
        state.withLock { state in
            defer { state.last = now; state.ticks += 1 }
            guard let last = state.last else { return }
            let assigned = now.assignments - last.assignments
            state.samples.append(Sample(
                t: state.ticks, requests: now.requests - last.requests, assigned: assigned,
                timeToAssignMs: assigned > 0 ? Double(now.waited - last.waited) / Double(assigned) : nil))
            if state.samples.count > Self.window { state.samples.removeFirst(state.samples.count - Self.window) }
        }
    }

    /// Samples once a second until cancelled (the HTTP service's lifetime).
    func run() async {
        while !Task.isCancelled {
            tick()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
