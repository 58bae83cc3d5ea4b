@testable import SwitchboardService
import SwitchboardCore
import Testing

/// The writer's schedules with a given clock: retention rounds, message-id forgetting,
/// checkpoints and the warning about set-aside events.
@Suite struct SchedulesTests {
    let start = ContinuousClock.now

    @Test func aRetentionRoundIsDueAtOnceThenEverySecondWhenCaughtUp() {
        var rounds = RetentionRounds(startingAt: start)
        #expect(rounds.isDue(at: start))
        rounds.finished(RetentionRounds.Removed(requests: 3, auditRows: 10), at: start)
        #expect(!rounds.isBehind)
        #expect(!rounds.isDue(at: start + .milliseconds(999)))
        #expect(rounds.isDue(at: start + .seconds(1)))
    }

    @Test func aFullRetentionRoundMeansBehindAndTheNextComesIn250Milliseconds() {
        for removed in [RetentionRounds.Removed(requests: RetentionRounds.requests), RetentionRounds.Removed(auditRows: RetentionRounds.auditRows)] {
            var rounds = RetentionRounds(startingAt: start)
            rounds.finished(removed, at: start)
            #expect(rounds.isBehind)
            #expect(!rounds.isDue(at: start + .milliseconds(249)))
            #expect(rounds.isDue(at: start + .milliseconds(250)))
        }
    }

    @Test func anIdleRetentionBurstGoesOnWhileBehindForTwentyMillisecondsAtMost() {
        var rounds = RetentionRounds(startingAt: start)
        rounds.finished(RetentionRounds.Removed(requests: RetentionRounds.requests), at: start)
        #expect(rounds.burstGoesOn(startedAt: start, now: start + .milliseconds(19)))
        #expect(!rounds.burstGoesOn(startedAt: start, now: start + .milliseconds(20)))
        rounds.finished(RetentionRounds.Removed(requests: 1), at: start + .milliseconds(5))
        #expect(!rounds.burstGoesOn(startedAt: start, now: start + .milliseconds(5)))
    }

    @Test func forgettingRunsBetweenEveryTwoBatchesWhileAKindFillsItsRound() {
        var forgetting = MessageIdForgetting(startingAt: start)
        #expect(forgetting.isDue(at: start))
        forgetting.finished(intake: MessageIdForgetting.limit, commands: 0, at: start + .milliseconds(3))
        #expect(forgetting.isDue(at: start + .milliseconds(3)))
        forgetting.finished(intake: 4, commands: MessageIdForgetting.limit, at: start + .milliseconds(5))
        #expect(forgetting.isDue(at: start + .milliseconds(5)))
        forgetting.finished(intake: 4, commands: 2, at: start + .milliseconds(6))
        #expect(!forgetting.isDue(at: start + .milliseconds(6) + .milliseconds(999)))
        #expect(forgetting.isDue(at: start + .milliseconds(6) + .seconds(1)))
    }

    @Test func checkpointsComeEvery64CommitsWhenIdleAnd1024UnderLoad() {
        #expect(!Checkpoints.dueWhenIdle(commitsSince: 63))
        #expect(Checkpoints.dueWhenIdle(commitsSince: 64))
        #expect(!Checkpoints.dueUnderLoad(commitsSince: 1_023))
        #expect(Checkpoints.dueUnderLoad(commitsSince: 1_024))
    }

    @Test func refusedEventsAreWarnedOfAtOnceThenAtMostOnceAMinuteWithTheirCounts() throws {
        var warnings = RefusalWarnings()
        let warned = warnings.refused(["request.assigned", "request.assigned"], at: start)
        let first = try #require(warned)
        #expect(first.map(\.routingKey) == ["request.assigned"])
        #expect(first.map(\.count) == [2])
        #expect(warnings.refused(["request.waiting"], at: start + .seconds(10)) == nil)
        #expect(warnings.refused(["request.assigned"], at: start + .seconds(59)) == nil)
        let warnedAgain = warnings.refused([], at: start + .seconds(60))
        let next = try #require(warnedAgain)
        #expect(next.map(\.routingKey) == ["request.assigned", "request.waiting"])
        #expect(next.map(\.count) == [1, 1])
        #expect(warnings.refused([], at: start + .seconds(200)) == nil)
    }
}
