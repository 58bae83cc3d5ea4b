@testable import SwitchboardService
import SwitchboardCore
import Testing

/// How long the writer waits for a delivery, and what an empty wait leads to, with a given clock.
@Suite struct NextWakeTests {
    let now = ContinuousClock.now
    let wall = Timestamp(milliseconds: 1_800_000_000_000)

    func wake(retryIn: Duration? = nil, forgetting: Bool = false, retentionBehind: Bool = false, deadlineIn: Int64? = nil) -> Duration {
        NextWake(NextWake.Schedules(
            nextRetry: retryIn.map { now + $0 }, forgettingDue: forgetting, retentionBehind: retentionBehind,
            nextDeadline: deadlineIn.map { Timestamp(milliseconds: wall.milliseconds + $0) }), now: now, wallClock: wall).wait
    }

    @Test func withNothingDueTheWriterWaits200Milliseconds() {
        #expect(wake() == .milliseconds(200))
    }

    @Test func noWaitOutlastsTheNextOfferDeadlineOrEscalation() {
        #expect(wake(deadlineIn: 30) == .milliseconds(30))
        #expect(wake(deadlineIn: 5_000) == .milliseconds(200))
        #expect(wake(deadlineIn: -40) == .zero)
    }

    @Test func aRefusedEventsRetryShortensTheWaitAndAPastOneEndsIt() {
        #expect(wake(retryIn: .milliseconds(70)) == .milliseconds(70))
        #expect(wake(retryIn: .milliseconds(-5)) == .zero)
    }

    @Test func forgettingDueMeansNoWaitAndRetentionBehindMeansAShortOne() {
        #expect(wake(forgetting: true, deadlineIn: 30) == .zero)
        #expect(wake(retentionBehind: true) == .milliseconds(50))
        #expect(wake(retentionBehind: true, deadlineIn: 10) == .milliseconds(10))
    }

    @Test func anEmptyWaitHandlesADeadlineThatCameBeforeACheckpoint() {
        let past = Timestamp(milliseconds: wall.milliseconds - 1)
        let ahead = Timestamp(milliseconds: wall.milliseconds + 1)
        #expect(NextWake.idle(nextDeadline: past, wallClock: wall, checkpointDue: true) == .handleDeadlines)
        #expect(NextWake.idle(nextDeadline: wall, wallClock: wall, checkpointDue: false) == .handleDeadlines)
        #expect(NextWake.idle(nextDeadline: ahead, wallClock: wall, checkpointDue: true) == .checkpoint)
        #expect(NextWake.idle(nextDeadline: nil, wallClock: wall, checkpointDue: false) == .housekeeping)
    }
}
