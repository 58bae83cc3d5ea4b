@testable import SwitchboardStore
import Testing

/// What the writer knows of the earliest offer or escalation deadline: it may be early,
/// never late, and it reads the index only when it knows nothing.
@Suite struct DeadlineWatchTests {
    @Test func aDeadlineNotedWhileNothingIsKnownLeavesItUnknownForTheIndexToAnswer() {
        var watch = DeadlineWatch()
        watch.note(dueAt: 500)
        guard case .unknown = watch.known else {
            Issue.record("noted a deadline over an unknown earliest: a later one could hide an earlier in the index")
            return
        }
    }

    @Test func theEarliestOfTheNotedDeadlinesIsKept() {
        var watch = DeadlineWatch(known: .none)
        watch.note(dueAt: 900)
        watch.note(dueAt: 400)
        watch.note(dueAt: 700)
        guard case let .at(due) = watch.known else {
            Issue.record("no deadline known after three were noted")
            return
        }
        #expect(due == 400)
    }
}
