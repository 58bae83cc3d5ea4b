import Testing
@testable import SwitchboardCore

@Suite struct TransferParsingTests {
    @Test func aTransferGoesToAColleagueOrToRequirementsWithAnOptionalReason() {
        #expect(parse(#"{"command":"request.transfer","args":{"id":7,"operator_id":2,"reason":"billing, not delivery"}}"#)
                == .success(.requestTransfer(id: 7, to: .operator(2), reason: "billing, not delivery")))
        #expect(parse(#"{"command":"request.transfer","args":{"id":7,"requires":[{"skill":"billing","min_level":3}]}}"#)
                == .success(.requestTransfer(id: 7, to: .requirements([Requirement(skill: "billing", minLevel: 3)]), reason: nil)))
        #expect(CommandName.requestTransfer.access == .consoleChange)
        #expect(!CommandName.requestTransfer.isReadOnly, "audited as a change")
    }

    @Test(arguments: [
        (#"{"id":7}"#, "operator_id", "is required, or requires: a colleague or what the request needs"),
        (#"{"id":7,"operator_id":2,"requires":[]}"#, "requires", "give operator_id or requires, not both"),
        (#"{"id":7,"operator_id":0}"#, "operator_id", "must be a positive integer"),
        (#"{"id":7,"requires":[{"skill":"billing","min_level":11}]}"#, "requires[0].min_level", "must be between 1 and 10"),
        (#"{"id":7,"operator_id":2,"reason":""# + String(repeating: "x", count: 201) + #""}"#, "reason", "must be at most 200 characters, got 201"),
    ])
    func aBadTransferNamesTheField(_ args: String, _ field: String, _ problem: String) {
        #expect(problems(#"{"command":"request.transfer","args":"# + args + "}") == [FieldProblem(field: field, problem: problem)])
    }
}
