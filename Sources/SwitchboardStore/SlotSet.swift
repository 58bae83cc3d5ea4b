/// A set of operator slots as a bitset: 10,000 operators are 157 words, and the operators a
/// request may go to are the AND of its requirements' sets (../shared/DESIGN.md, "Skills
/// without scans").
struct SlotSet: Equatable {
    private(set) var words: [UInt64]

    init(capacity: Int) { words = [UInt64](repeating: 0, count: (capacity + 63) / 64) }

    mutating func insert(_ slot: Int) { words[slot >> 6] |= 1 << UInt64(slot & 63) }

    func contains(_ slot: Int) -> Bool { words[slot >> 6] & (1 << UInt64(slot & 63)) != 0 }

    var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    mutating func formIntersection(_ other: SlotSet) {
        for index in words.indices { words[index] &= other.words[index] }
    }

    /// Calls `body` with each slot in the set, in increasing order.
    func forEach(_ body: (Int) throws -> Void) rethrows {
        for (index, word) in words.enumerated() where word != 0 {
            var remaining = word
            while remaining != 0 {
                try body(index << 6 + remaining.trailingZeroBitCount)
                remaining &= remaining - 1
            }
        }
    }
}
