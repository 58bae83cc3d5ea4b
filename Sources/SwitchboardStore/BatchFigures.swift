import SwitchboardCore

/// What a committed transaction did, in the terms the metrics count: intake by source and
/// outcome, and how long each request assigned in it had waited since it arrived.
public struct BatchFigures: Sendable, Equatable {
    public struct IntakeKey: Hashable, Sendable {
        /// The source's identifier; `unknown` when no source matched (the label set stays
        /// bounded by the sources that exist).
        public var source: String
        /// `assigned`, `offered`, `waiting`, `duplicate` or `rejected`.
        public var outcome: String
    }

    public var intake: [IntakeKey: Int] = [:]
    /// Milliseconds from a request's arrival to its assignment, one per assignment.
    public var assignmentWaits: [Int64] = []
    /// Requests escalated for waiting past their source's max wait.
    public var escalated = 0
    /// Requirements dropped after waiting their relax time, by skill.
    public var relaxed: [String: Int] = [:]
    /// Wrap-ups that ended, at their time or by hand, giving their slot back.
    public var wrapUpsEnded = 0

    public init() {}

    mutating func countIntake(source: String, outcome: String) {
        intake[IntakeKey(source: source, outcome: outcome), default: 0] += 1
    }
}
