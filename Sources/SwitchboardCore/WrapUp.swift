/// The minutes after a conversation: the operator's slot stays taken from the request's
/// closing until `until`, so the next request does not arrive while they write their notes.
/// A pure decision of the writer, like an offer's deadline: the store keeps `until` as a
/// durable deadline and asks these rules, with its clock, when to give the slot back.
public struct WrapUp: Sendable, Equatable {
    public var until: Timestamp

    public init(until: Timestamp) {
        self.until = until
    }

    /// The wrap-up after closing at `closedAt`: `requested` (the close command's) or else the
    /// source's seconds; none when that is 0 or the request had no operator's slot to keep.
    public static func after(closingAt closedAt: Timestamp, sourceSeconds: Int, requested: Int?, holdsSlot: Bool) -> WrapUp? {
        let seconds = requested ?? sourceSeconds
        guard holdsSlot, seconds > 0 else { return nil }
        return WrapUp(until: Timestamp(milliseconds: closedAt.milliseconds + Int64(seconds) * 1_000))
    }

    /// Whether the slot is still taken at `now`: up to, not including, `until`.
    public func holdsSlot(at now: Timestamp) -> Bool { now.milliseconds < until.milliseconds }

    /// The wrap-up the operator ends by hand at `now`: it ends then, or when it was due if
    /// that is earlier.
    public func ended(at now: Timestamp) -> WrapUp {
        WrapUp(until: Timestamp(milliseconds: min(until.milliseconds, now.milliseconds)))
    }
}
