import SwitchboardCore
import Testing

/// The what-if replay's inputs: the changes file read against the floor, the offer model,
/// and presence at the window's start.
@Suite struct ReplayInputTests {
    static func problems(_ changes: JSONValue) -> [String] {
        guard case let .failure(error) = ReplayChanges.parse(changes, operators: [1, 2, 3], sources: [1]) else { return [] }
        return error.details.map { "\($0.field): \($0.problem)" }
    }

    @Test func editsAddedOperatorsAndWeightsAreReadWithTheirCommandsRules() throws {
        let changes = try ReplayChanges.parse([
            "operators": ["2": ["max_load_limit": 8, "skills": ["lang.es": 3]]],
            "sources": ["1": ["max_wait_seconds": 60, "weights": [["operator_id": 2, "weight": 70]]]],
            "add_operators": [["name": "Temp", "max_load_limit": 2, "weights": ["1": 40],
                               "presence_schedule": ["time_zone": "UTC", "weekly": [["days": ["mon"], "open": "09:00", "close": "13:00"]]]]],
        ], operators: [1, 2, 3], sources: [1]).get()
        #expect(changes.operators[2]?["max_load_limit"] == 8)
        #expect(changes.sources[1] == ["max_wait_seconds": 60], "weights go to set_weights, not update")
        #expect(changes.sourceWeights[1] == [["operator_id": 2, "weight": 70]])
        #expect(changes.addOperators.count == 1 && changes.addOperators[0].weights == [1: 40])
        #expect(changes.addOperators[0].schedule != nil && changes.addOperators[0].args["presence_schedule"] == nil)
        #expect(try ReplayChanges.parse([:], operators: [], sources: []).get().isEmpty)
    }

    @Test func everyBadEditIsNamedByItsPathAllAtOnce() {
        #expect(Self.problems([
            "operators": ["9": ["max_load_limit": 2], "2": ["max_load_limit": 0]],
            "sources": ["1": ["weights": [["operator_id": 7, "weight": 10]]], "5": [:]],
            "add_operators": [["max_load_limit": 2, "weights": ["3": 10]]],
            "staff": [],
        ]) == [
            "staff: is not one of operators, add_operators, sources",
            "operators.2.max_load_limit: must be between 1 and 10000",
            "operators.9: no operator with id 9",
            "sources.1.weights[0].operator_id: no operator with id 7",
            "sources.5: no source with id 5",
            "add_operators[0].name: is required",
            "add_operators[0].weights.3: no source with id 3",
        ])
    }

    @Test func changesThatAreNotTheDocumentedShapeSaySo() {
        #expect(Self.problems([1, 2]) == ["changes: must be an object, got array"])
        #expect(Self.problems(["operators": [["id": 1]]]) == ["operators: must be an object of edits by id, got array"])
        #expect(Self.problems(["operators": ["1": 5]]) == ["operators.1: must be an object of fields"])
        #expect(Self.problems(["add_operators": ["name": "x"]]) == ["add_operators: must be an array, got object"])
    }

    @Test func offersAreAnsweredInTheRecordedSharesAfterRecordedTimes() {
        let answers = OfferAnswers(acceptedAfter: [2_000, 4_000, 6_000], rejectedAfter: [1_000], unanswered: 1)
        var random = SplitMix64(seed: 5)
        var counts = (accept: 0, reject: 0, none: 0)
        for _ in 0..<10_000 {
            switch answers.draw(using: &random) {
            case let .accept(after):
                counts.accept += 1
                #expect([2_000, 4_000, 6_000].contains(after))
            case let .reject(after):
                counts.reject += 1
                #expect(after == 1_000)
            case .none: counts.none += 1
            }
        }
        // Shares 0.6, 0.2, 0.2 of 10,000: each within five standard errors (at most 49 draws).
        #expect(abs(counts.accept - 6_000) < 250 && abs(counts.reject - 2_000) < 200 && abs(counts.none - 2_000) < 200)
        #expect(OfferAnswers().draw(using: &random) == .accept(afterMilliseconds: 0), "nothing recorded: accepted at once")
    }

    @Test func anOperatorWithoutOffersAnswersLikeTheFloorsMedianOne() {
        let low = OfferAnswers(acceptedAfter: [1], unanswered: 3), middle = OfferAnswers(acceptedAfter: [1, 1], unanswered: 2)
        let high = OfferAnswers(acceptedAfter: [1, 1, 1, 1])
        #expect(OfferAnswers.median(of: [high, OfferAnswers(), low, middle]) == middle, "the one with no offers does not count")
        #expect(OfferAnswers.median(of: []) == OfferAnswers())
    }

    @Test func presenceAtTheStartIsWhatTheFirstChangeSinceFoundElseWhatItIsNow() {
        func op(_ id: Int64, _ presence: Presence) -> Operator {
            Operator(id: id, name: "op\(id)", isActive: true, maxLoadLimit: 1, currentLoad: 0, createdAt: Timestamp(milliseconds: 0),
                     presence: presence)
        }
        let at = Timestamp(milliseconds: 10)
        let start = RecordedDay.presenceAtStart(operators: [op(1, .away), op(2, .available), op(3, .available)], firstChangeSince: [
            1: PresenceChange(operatorId: 1, presence: .away, previous: .offline, reason: .command, at: at),
            3: PresenceChange(operatorId: 3, presence: .available, previous: nil, reason: .created, at: at),
        ])
        #expect(start == [1: .offline, 2: .available], "3 was created later: not there at the start")
    }
}
