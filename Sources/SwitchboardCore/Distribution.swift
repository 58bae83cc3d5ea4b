/// An operator as the distribution sees it for one source.
public struct Candidate: Sendable, Equatable {
    public var operatorId: Int64
    public var weight: Int
    public var availability: OperatorAvailability

    public init(operatorId: Int64, weight: Int, isActive: Bool = true, presence: Presence = .available,
                currentLoad: Int = 0, maxLoadLimit: Int = 1) {
        self.operatorId = operatorId
        self.weight = weight
        self.availability = OperatorAvailability(isActive: isActive, presence: presence, load: currentLoad, limit: maxLoadLimit)
    }

    public var isEligible: Bool { availability.drawWeight(weight) > 0 }
}

public enum Distribution {
    /// Picks one eligible candidate with probability weight / (sum of eligible weights):
    /// draw r in [0, sum) and take the candidate whose cumulative range holds r. Returns nil
    /// when nobody is eligible. The random source is injected so tests are reproducible.
    public static func pick<R: RandomNumberGenerator>(from candidates: [Candidate], using random: inout R) -> Int64? {
        pick(from: candidates, using: &random) { $0.availability.drawWeight($0.weight) }?.operatorId
    }

    /// The same draw over any collection, with `weight` giving 0 for an ineligible element:
    /// the store walks its in-memory operator table with it, allocating nothing per request.
    @inlinable
    public static func pick<C: Collection, R: RandomNumberGenerator>(
        from items: C, using random: inout R, weight: (C.Element) -> Int
    ) -> C.Element? {
        var total = 0
        for item in items { total += weight(item) }
        guard total > 0 else { return nil }
        var remaining = Int.random(in: 0..<total, using: &random)
        for item in items {
            let w = weight(item)
            if remaining < w { return item }
            remaining -= w
        }
        return nil  // unreachable: remaining < total
    }
}

/// A small, fast, seedable generator (SplitMix64): reproducible distributions in tests and
/// benchmarks; production seeds it from the system generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
