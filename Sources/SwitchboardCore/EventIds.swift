/// Random (version 4) UUIDs in lowercase text, for event ids. Foundation's `UUID()` asks the
/// kernel for randomness on every call and was 3% of intake's cost; ids only need to be
/// unique, so this draws them from a fast generator seeded once from the system's.
public struct EventIds {
    private var random: SplitMix64

    public init(random: SplitMix64 = SplitMix64()) { self.random = random }

    public mutating func next() -> String {
        let high = random.next() & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000  // version 4
        let low = random.next() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000  // RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            func hex(_ value: UInt64, digits: Int) {
                var shift = (digits - 1) * 4
                while shift >= 0 {
                    buffer[index] = Self.digits[Int(value >> UInt64(shift) & 0xF)]
                    index += 1
                    shift -= 4
                }
            }
            func dash() { buffer[index] = UInt8(ascii: "-"); index += 1 }
            hex(high >> 32, digits: 8); dash()
            hex(high >> 16, digits: 4); dash()
            hex(high, digits: 4); dash()
            hex(low >> 48, digits: 4); dash()
            hex(low, digits: 12)
            return index
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
}
