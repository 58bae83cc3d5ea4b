import SwitchboardCore
import Testing

@Suite struct MissedOffersTests {
    @Test func anAvailableOperatorIsSetAwayOnceTheLimitOfMissedOffersIsReached() {
        let rule = MissedOffers(limit: 3)
        #expect(!rule.setsAway(afterMissedInARow: 2, presence: .available))
        #expect(rule.setsAway(afterMissedInARow: 3, presence: .available))
        #expect(rule.setsAway(afterMissedInARow: 4, presence: .available))
    }

    @Test func anOperatorAlreadyAwayOrOfflineIsLeftAsItIs() {
        let rule = MissedOffers(limit: 1)
        #expect(!rule.setsAway(afterMissedInARow: 5, presence: .away))
        #expect(!rule.setsAway(afterMissedInARow: 5, presence: .offline))
    }

    @Test func aLimitOfZeroNeverSetsAnyoneAway() {
        #expect(!MissedOffers(limit: 0).setsAway(afterMissedInARow: 1_000, presence: .available))
    }
}
