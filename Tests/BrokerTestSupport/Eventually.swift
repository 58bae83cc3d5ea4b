import Foundation

/// What ``eventually(within:every:_:_:)`` throws when the deadline passes: what it waited
/// for, for how long, and what it saw last, so a failure says why without a rerun.
public struct NotInTime: Error, CustomStringConvertible {
    public var waitingFor: String
    public var within: Duration
    public var lastSeen: String
    public var description: String { "not in time (\(within)): \(waitingFor); last seen: \(lastSeen)" }
}

/// Asks `look` until it returns a value, or throws ``NotInTime`` once `within` has passed.
/// The one polling loop of the tests: bounded in time, and in count by the pause between
/// looks. `look` returns nil to look again and may say what it saw through `seen`.
/// An error `look` throws is kept as what was seen and the look repeated: a service that is
/// starting refuses connections before it answers.
@discardableResult
public func eventually<T>(
    within: Duration, every pause: Duration = .milliseconds(50), _ waitingFor: @autoclosure () -> String,
    _ look: (_ seen: inout String) throws -> T?
) throws -> T {
    let deadline = ContinuousClock.now + within
    var seen = "nothing"
    while true {
        do {
            if let value = try look(&seen) { return value }
        } catch {
            seen = "\(error)"
        }
        guard ContinuousClock.now + pause < deadline else { throw NotInTime(waitingFor: waitingFor(), within: within, lastSeen: seen) }
        Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18)
    }
}

/// Asks `holds` until it is true; the last value it saw is shown when it never is.
public func eventually<T>(
    within: Duration, every pause: Duration = .milliseconds(50), _ waitingFor: @autoclosure () -> String,
    read: () throws -> T, until holds: (T) -> Bool
) throws {
    try eventually(within: within, every: pause, waitingFor()) { seen -> Bool? in
        let value = try read()
        seen = "\(value)"
        return holds(value) ? true : nil
    }
}

