import BrokerTestSupport
import Testing

/// The suite's one polling helper: it returns the first value seen, and a deadline missed says
/// what it waited for and what it saw last.
@Suite struct EventuallyTests {
    @Test func itReturnsTheFirstValueTheLookFinds() throws {
        var looks = 0
        let found = try eventually(within: .seconds(5), every: .milliseconds(1), "the third look") { _ -> Int? in
            looks += 1
            return looks == 3 ? looks : nil
        }
        #expect(found == 3)
    }

    @Test func aMissedDeadlineSaysWhatWasAwaitedAndWhatWasSeenLast() {
        var looks = 0
        do {
            try eventually(within: .milliseconds(30), every: .milliseconds(5), "a count of 100",
                           read: { () -> Int in looks += 1; return looks }, until: { $0 >= 100 })
            Issue.record("met a condition that never holds")
        } catch let error as NotInTime {
            #expect(error.waitingFor == "a count of 100")
            #expect(error.lastSeen == "\(looks)")
            #expect(looks >= 2 && looks < 100)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func anErrorFromALookIsSeenAndLookedPast() throws {
        struct Refused: Error {}
        var looks = 0
        let found = try eventually(within: .seconds(5), every: .milliseconds(1), "an answer") { _ -> String? in
            looks += 1
            if looks < 3 { throw Refused() }
            return "answered"
        }
        #expect(found == "answered")
    }
}
