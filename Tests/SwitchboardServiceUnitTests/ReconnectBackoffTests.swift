@testable import SwitchboardService
import SwitchboardCore
import Testing

/// Reconnect pauses: doubling ceilings from 100 ms up to the cap, each drawn from the upper half.
@Suite struct ReconnectBackoffTests {
    @Test func eachPauseLiesInTheUpperHalfOfADoublingCeilingUpToTheCap() {
        var random = SplitMix64(seed: 7)
        var backoff = ReconnectBackoff(cap: .seconds(5))
        let ceilings: [Int64] = [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000]
        for ceiling in ceilings {
            let pause = backoff.failed(using: &random).milliseconds
            #expect(pause >= ceiling / 2 && pause <= ceiling, "pause \(pause) ms for ceiling \(ceiling)")
        }
        #expect(backoff.failures == ceilings.count)
    }

    @Test func aSuccessStartsTheCeilingsAgain() {
        var random = SplitMix64(seed: 1)
        var backoff = ReconnectBackoff(cap: .seconds(5))
        for _ in 0..<6 { _ = backoff.failed(using: &random) }
        backoff.succeeded()
        #expect(backoff.failures == 0)
        #expect(backoff.failed(using: &random).milliseconds <= 100)
    }

    @Test func pausesAreSpreadSoThatManyServicesDoNotRetryInStep() {
        var random = SplitMix64(seed: 42)
        let pauses = Set((0..<50).map { _ in ReconnectBackoff.delay(afterFailures: 4, cap: .seconds(5), using: &random).milliseconds })
        #expect(pauses.count > 25)
        #expect(pauses.allSatisfy { (400...800).contains($0) })
    }

    @Test func aManyTimesFailedConnectionNeverWaitsLongerThanTheCapNorOverflows() {
        var random = SplitMix64(seed: 3)
        #expect(ReconnectBackoff.delay(afterFailures: 10_000, cap: .seconds(5), using: &random) <= .seconds(5))
        #expect(ReconnectBackoff.delay(afterFailures: 10_000, cap: .seconds(5), using: &random) >= .milliseconds(2_500))
    }
}
