/// A change of an operator's or a source's settings, the whole of it before and after: the
/// what-if replay sets the floor back to how it stood at a window's start, then changes it at
/// the times it changed.
public struct SettingChange: Sendable, Equatable {
    public enum Subject: Sendable, Equatable {
        case `operator`(before: Operator, after: Operator)
        /// A source's settings and weights.
        case source(before: Source, after: Source)
    }

    public var at: Timestamp
    public var subject: Subject

    public init(at: Timestamp, subject: Subject) {
        self.at = at
        self.subject = subject
    }
}
