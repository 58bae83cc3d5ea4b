import Testing
@testable import SwitchboardCore

@Suite struct WrapUpTests {
    let closing = Timestamp(milliseconds: 1_800_000_000_000)

    @Test func theSlotStaysTakenUpToButNotIncludingTheEndOfTheWrapUp() throws {
        let wrapUp = try #require(WrapUp.after(closingAt: closing, sourceSeconds: 60, requested: nil, holdsSlot: true))
        #expect(wrapUp.until.milliseconds == closing.milliseconds + 60_000)
        #expect(wrapUp.holdsSlot(at: closing))
        #expect(wrapUp.holdsSlot(at: Timestamp(milliseconds: wrapUp.until.milliseconds - 1)))
        #expect(!wrapUp.holdsSlot(at: wrapUp.until))
        #expect(!wrapUp.holdsSlot(at: Timestamp(milliseconds: wrapUp.until.milliseconds + 1)))
    }

    @Test func theCloseCommandsSecondsOverrideTheSourcesAndZeroMeansNone() {
        #expect(WrapUp.after(closingAt: closing, sourceSeconds: 60, requested: 90, holdsSlot: true)?.until.milliseconds
                == closing.milliseconds + 90_000)
        #expect(WrapUp.after(closingAt: closing, sourceSeconds: 60, requested: 0, holdsSlot: true) == nil)
        #expect(WrapUp.after(closingAt: closing, sourceSeconds: 0, requested: nil, holdsSlot: true) == nil)
        #expect(WrapUp.after(closingAt: closing, sourceSeconds: 0, requested: 30, holdsSlot: true)?.until.milliseconds
                == closing.milliseconds + 30_000)
    }

    @Test func aRequestThatHeldNoOperatorsSlotGetsNoWrapUp() {
        #expect(WrapUp.after(closingAt: closing, sourceSeconds: 60, requested: 90, holdsSlot: false) == nil)
    }

    @Test func endingByHandEndsNowAndNeverLaterThanItWasDue() {
        let wrapUp = WrapUp(until: Timestamp(milliseconds: closing.milliseconds + 60_000))
        let early = Timestamp(milliseconds: closing.milliseconds + 10_000)
        #expect(wrapUp.ended(at: early).until == early)
        #expect(!wrapUp.ended(at: early).holdsSlot(at: early))
        #expect(wrapUp.ended(at: Timestamp(milliseconds: closing.milliseconds + 120_000)) == wrapUp)
    }

    @Test func closeTakesAWrapUpAndEndWrapUpAnOperator() {
        #expect(parse(#"{"command":"request.close","args":{"id":4,"wrap_up_seconds":90}}"#)
                == .success(.requestClose(id: 4, wrapUpSeconds: 90)))
        #expect(parse(#"{"command":"request.close","args":{"id":4}}"#) == .success(.requestClose(id: 4, wrapUpSeconds: nil)))
        #expect(parse(#"{"command":"operator.end_wrap_up","args":{"id":2}}"#) == .success(.operatorEndWrapUp(id: 2)))
        #expect(parse(#"{"command":"source.update","args":{"id":1,"wrap_up_seconds":60}}"#)
                == .success(.sourceUpdate(id: 1, name: nil, settings: SourceSettings(wrapUpSeconds: 60))))
        #expect(CommandName.operatorEndWrapUp.access == .consoleChange)
    }

    @Test(arguments: [
        (#"{"command":"request.close","args":{"id":4,"wrap_up_seconds":3601}}"#, "wrap_up_seconds", "must be between 0 and 3600"),
        (#"{"command":"request.close","args":{"id":4,"wrap_up_seconds":-1}}"#, "wrap_up_seconds", "must be between 0 and 3600"),
        (#"{"command":"source.update","args":{"id":1,"wrap_up_seconds":"60"}}"#, "wrap_up_seconds", "must be an integer, got string"),
        (#"{"command":"operator.end_wrap_up","args":{}}"#, "id", "is required"),
    ])
    func badWrapUpArgumentsNameTheField(_ json: String, _ field: String, _ problem: String) {
        #expect(problems(json) == [FieldProblem(field: field, problem: problem)])
    }
}
