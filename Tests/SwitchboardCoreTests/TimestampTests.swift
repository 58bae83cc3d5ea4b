import Foundation
import PropertyBased
import Testing
@testable import SwitchboardCore

@Suite struct TimestampTests {
    @Test func formatsRFC3339WithMilliseconds() {
        #expect(Timestamp(milliseconds: 0).description == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(milliseconds: 1_795_601_100_123).description == "2026-11-25T10:05:00.123Z")
        #expect(Timestamp(milliseconds: 951_782_400_007).description == "2000-02-29T00:00:00.007Z")
    }

    @Test func formattingAgreesWithFoundation() async {
        await propertyCheck(count: 500, input: Gen.int64(in: 0...4_102_444_800_000)) { ms in
            let formatted = Timestamp(milliseconds: ms).description
            // Whole seconds through Foundation (its fractional part suffers from Double rounding).
            let date = Date(timeIntervalSince1970: Double(ms / 1000))
            let reference = date.formatted(Date.ISO8601FormatStyle())
            #expect(formatted.prefix(19) == reference.prefix(19))
            #expect(formatted.dropFirst(19) == "." + String(format: "%03d", Int(ms % 1000)) + "Z")
            #expect(Timestamp(rfc3339: formatted) == Timestamp(milliseconds: ms))
        }
    }
}
