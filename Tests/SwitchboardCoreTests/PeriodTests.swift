import SwitchboardCore
import Testing

@Suite struct PeriodTests {
    @Test(arguments: [("90s", 90), ("15m", 900), ("12h", 43_200), ("7d", 604_800), ("1d", 86_400)])
    func aNumberAndAUnitReadAsThatManySeconds(_ text: String, _ seconds: Int64) {
        #expect(Duration(period: text) == .seconds(seconds))
    }

    @Test(arguments: ["", "7", "d", "0d", "-1d", "+1d", "1.5h", "7 d", "7w", "7D", "99999999999999999d", "٣d"])
    func anythingElseIsRefused(_ text: String) {
        #expect(Duration(period: text) == nil, "\(text)")
    }
}
