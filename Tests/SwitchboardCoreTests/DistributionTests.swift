import PropertyBased
import Testing
@testable import SwitchboardCore

let candidateGen = zip(Gen.int(in: 0...100), Gen.bool, Gen.int(in: 0...6), Gen.int(in: 1...5))
    .map { t in Candidate(operatorId: 0, weight: t.0, isActive: t.1, currentLoad: t.2, maxLoadLimit: t.3) }
    .array(of: 0...12)
    .map { list in list.enumerated().map { var c = $0.element; c.operatorId = Int64($0.offset + 1); return c } }

@Suite struct DistributionTests {
    @Test func pickOnlyEverReturnsAnEligibleOperator() async {
        await propertyCheck(count: 300, input: candidateGen, Gen.uint64(in: 0...UInt64.max)) { candidates, seed in
            var random = SplitMix64(seed: seed)
            if let picked = Distribution.pick(from: candidates, using: &random) {
                let chosen = candidates.first { $0.operatorId == picked }
                #expect(chosen?.isEligible == true, "picked \(picked) from \(candidates)")
            } else {
                #expect(!candidates.contains { $0.isEligible }, "nobody picked although someone was eligible")
            }
        }
    }

    @Test func nobodyEligibleMeansNoPick() async {
        let ineligible = zip(Gen.int(in: 1...100), Gen.int(in: 0...2))
            .map { t in
                // Each is inactive, full, or unweighted.
                switch t.1 {
                case 0: Candidate(operatorId: 1, weight: t.0, isActive: false, currentLoad: 0, maxLoadLimit: 5)
                case 1: Candidate(operatorId: 1, weight: t.0, isActive: true, currentLoad: 5, maxLoadLimit: 5)
                default: Candidate(operatorId: 1, weight: 0, isActive: true, currentLoad: 0, maxLoadLimit: 5)
                }
            }
            .array(of: 0...10)
        await propertyCheck(count: 200, input: ineligible) { candidates in
            var random = SplitMix64(seed: 7)
            #expect(Distribution.pick(from: candidates, using: &random) == nil)
        }
    }

    /// 200,000 draws with a fixed seed: each share lies within 0.5 percentage points of its
    /// weight share. (The standard error of a share p over n draws is sqrt(p(1-p)/n) ≈ 0.11
    /// points here, so 0.5 is over four standard errors.)
    @Test(arguments: [[50, 30, 20], [40, 60], [70, 30], [1, 100, 7, 33]])
    func observedSharesConvergeToWeightShares(_ weights: [Int]) {
        let candidates = weights.enumerated().map {
            Candidate(operatorId: Int64($0.offset + 1), weight: $0.element, isActive: true, currentLoad: 0, maxLoadLimit: 10)
        }
        var random = SplitMix64(seed: 20_261_124)
        let draws = 200_000
        var counts = [Int64: Int]()
        for _ in 0..<draws { counts[Distribution.pick(from: candidates, using: &random)!, default: 0] += 1 }
        let total = Double(weights.reduce(0, +))
        for candidate in candidates {
            let expected = Double(candidate.weight) / total
            let observed = Double(counts[candidate.operatorId, default: 0]) / Double(draws)
            #expect(abs(observed - expected) < 0.005, "operator \(candidate.operatorId): \(observed) vs \(expected)")
        }
    }

    @Test func ineligibleOperatorsAreSkippedWithoutShiftingTheOthers() {
        let candidates = [
            Candidate(operatorId: 1, weight: 50, isActive: false, currentLoad: 0, maxLoadLimit: 10),
            Candidate(operatorId: 2, weight: 30, isActive: true, currentLoad: 0, maxLoadLimit: 10),
            Candidate(operatorId: 3, weight: 20, isActive: true, currentLoad: 10, maxLoadLimit: 10),
        ]
        var random = SplitMix64(seed: 1)
        for _ in 0..<1_000 { #expect(Distribution.pick(from: candidates, using: &random) == 2) }
    }

    @Test func sameSeedSamePicks() {
        let candidates = (1...5).map { Candidate(operatorId: Int64($0), weight: $0 * 10, maxLoadLimit: 3) }
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42)
        let first = (0..<100).map { _ in Distribution.pick(from: candidates, using: &a) }
        let second = (0..<100).map { _ in Distribution.pick(from: candidates, using: &b) }
        #expect(first == second)
        #expect(Set(first).count > 1)
    }
}
