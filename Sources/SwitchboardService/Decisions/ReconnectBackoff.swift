/// Capped exponential backoff with jitter: ceilings of 100 ms, 200 ms, 400 ms ... up to the
/// cap, each pause drawn uniformly from the upper half of its ceiling, so that a retry never
/// comes much sooner than planned and many services do not retry in step.
struct ReconnectBackoff {
    let cap: Duration
    /// Failures since the last success.
    private(set) var failures = 0

    init(cap: Duration) { self.cap = cap }

    /// Counts a failure and returns the pause before the next attempt.
    mutating func failed<R: RandomNumberGenerator>(using random: inout R) -> Duration {
        failures += 1
        return Self.delay(afterFailures: failures, cap: cap, using: &random)
    }

    mutating func failed() -> Duration {
        var random = SystemRandomNumberGenerator()
        return failed(using: &random)
    }

    mutating func succeeded() { failures = 0 }

    static func delay<R: RandomNumberGenerator>(afterFailures failures: Int, cap: Duration, using random: inout R) -> Duration {
        let ceiling = min(cap.milliseconds, 100 << min(max(failures, 1) - 1, 16))
        return .milliseconds(Int64.random(in: ceiling / 2...max(ceiling, 1), using: &random))
    }
}
