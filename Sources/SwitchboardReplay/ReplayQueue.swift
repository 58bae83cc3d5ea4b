import HeapModule
import SwitchboardCore

/// What happens next in a replay.
enum Happening: Sendable, Equatable {
    /// A recorded request arrives (its index in the day's arrivals).
    case arrival(Int)
    /// A request's handle time is over: its operator closes it (scratch request id).
    case close(Int64)
    /// A request recorded as given up leaves, if it is still open (its arrival's index).
    case abandon(Int)
    /// An operator answers an offer (scratch ids).
    case answer(request: Int64, operator: Int64, accept: Bool)
    /// An operator's presence changes, as recorded or as an added one's schedule says.
    case presence(operator: Int64, Presence, requeue: Bool)
    /// A recorded transfer (its index in the day's transfers) of a scratch request.
    case transfer(request: Int64, Int)
    /// A recorded change of settings (its index in the day's).
    case setting(Int)
}

/// The replay's agenda on its simulated clock: earliest first, and at one time in the order
/// things were scheduled, so that a run is the same for a seed.
struct ReplayQueue {
    private struct Entry: Comparable {
        var at: Int64
        var order: Int
        var what: Happening

        static func < (a: Entry, b: Entry) -> Bool { (a.at, a.order) < (b.at, b.order) }
        static func == (a: Entry, b: Entry) -> Bool { (a.at, a.order) == (b.at, b.order) }
    }

    private var heap = Heap<Entry>()
    private var scheduled = 0

    mutating func schedule(_ what: Happening, at time: Int64) {
        heap.insert(Entry(at: time, order: scheduled, what: what))
        scheduled += 1
    }

    var nextTime: Int64? { heap.min?.at }

    mutating func next() -> (at: Int64, what: Happening)? {
        heap.popMin().map { ($0.at, $0.what) }
    }
}
