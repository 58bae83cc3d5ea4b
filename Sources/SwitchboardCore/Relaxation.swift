/// When a waiting request's requirements are dropped (the contract's `relax_after_seconds`):
/// a pure decision on the request's creation time and a given clock, so that the writer and
/// the tests agree on every instant. A requirement falls due once the request has waited its
/// `relax_after_seconds` since it was created.
public enum Relaxation {
    /// The skills to drop at `now` (in the order required) and when the next one falls due,
    /// nil when none is left to relax.
    public static func due(requires: [Requirement], relaxed: [String], createdAt: Int64, now: Int64)
        -> (dropped: [String], nextAt: Int64?) {
        var dropped: [String] = []
        var next: Int64?
        for requirement in requires where !relaxed.contains(requirement.skill) {
            guard let at = dueAt(requirement, createdAt: createdAt) else { continue }
            if at <= now {
                dropped.append(requirement.skill)
            } else {
                next = min(next ?? at, at)
            }
        }
        return (dropped, next)
    }

    /// When the first requirement still in force falls due, nil when none relaxes.
    public static func firstDue(requires: [Requirement], relaxed: [String], createdAt: Int64) -> Int64? {
        due(requires: requires, relaxed: relaxed, createdAt: createdAt, now: Int64.min).nextAt
    }

    static func dueAt(_ requirement: Requirement, createdAt: Int64) -> Int64? {
        requirement.relaxAfterSeconds.map { createdAt + Int64($0) * 1000 }
    }
}

/// The part of the waiting line a request stands in: the requests that every operator
/// judges alike, because they come from one source, are escalated alike (overflow) and need
/// the same skills at the same levels. Each part is ordered by priority then age in one
/// index, and a drain looks at the head of each part instead of at every waiting request.
public struct LineKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var sourceId: Int64
    public var escalated: Bool
    /// The requirements in force, sorted by skill; relax times play no part.
    public var needs: [Requirement]

    public init(sourceId: Int64, escalated: Bool, requirements: [Requirement]) {
        self.sourceId = sourceId
        self.escalated = escalated
        self.needs = requirements.map { Requirement(skill: $0.skill, minLevel: $0.minLevel) }.sorted { $0.skill < $1.skill }
    }

    /// `7|e|billing=3,lang.es=5`: skill names never hold `|`, `,` or `=`.
    public var description: String {
        "\(sourceId)|\(escalated ? "e" : "-")|" + needs.map { "\($0.skill)=\($0.minLevel)" }.joined(separator: ",")
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, let sourceId = Int64(parts[0]) else { return nil }
        var needs: [Requirement] = []
        for item in parts[2].split(separator: ",") {
            let pair = item.split(separator: "=")
            guard pair.count == 2, let level = Int(pair[1]) else { return nil }
            needs.append(Requirement(skill: String(pair[0]), minLevel: level))
        }
        self.init(sourceId: sourceId, escalated: parts[1] == "e", requirements: needs)
    }

    public static func < (a: LineKey, b: LineKey) -> Bool { a.description < b.description }
}
