import Foundation

/// A point in time with millisecond precision, written as RFC 3339 UTC with milliseconds
/// (`2026-11-25T10:05:00.123Z`), the contract's only time format. Stored as milliseconds
/// since the Unix epoch.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func now() -> Timestamp {
        Timestamp(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.milliseconds < b.milliseconds }

    /// Seconds from `earlier` to this time, never below 0 (the wall clock may step back):
    /// the age the status and the floor report.
    public func seconds(since earlier: Timestamp) -> Double {
        max(0, Double(milliseconds - earlier.milliseconds) / 1000)
    }

    /// Midnight UTC after this time: where the archive's next day's file begins.
    public var startOfNextDay: Timestamp {
        let day: Int64 = 86_400_000
        let days = milliseconds >= 0 ? milliseconds / day : (milliseconds - day + 1) / day
        return Timestamp(milliseconds: (days + 1) * day)
    }

    /// Formats by hand: Foundation's ISO8601DateFormatter is slow and not Sendable, and this
    /// runs for three fields of every event.
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        write(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` to `bytes`.
    public func write(to bytes: inout [UInt8]) {
        let ms = Int((milliseconds % 1000 + 1000) % 1000)
        let totalSeconds = (milliseconds - Int64(ms)) / 1000
        let days = Int(totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400)
        let secondsOfDay = Int(totalSeconds - Int64(days) * 86_400)
        let (year, month, day) = Self.civil(fromDays: days)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4); bytes.append(UInt8(ascii: "-"))
        digits(month, 2); bytes.append(UInt8(ascii: "-"))
        digits(day, 2); bytes.append(UInt8(ascii: "T"))
        digits(secondsOfDay / 3600, 2); bytes.append(UInt8(ascii: ":"))
        digits(secondsOfDay / 60 % 60, 2); bytes.append(UInt8(ascii: ":"))
        digits(secondsOfDay % 60, 2); bytes.append(UInt8(ascii: "."))
        digits(ms, 3); bytes.append(UInt8(ascii: "Z"))
    }

    /// Parses the RFC 3339 forms clients send: `Z` or a numeric offset, with or without
    /// fractional seconds.
    public init?(rfc3339 text: String) {
        // Foundation's parser rolls a minute of 99 over into the next hour: fields out of
        // range are refused here first.
        guard Self.fieldsInRange(Array(text.utf8.prefix(19))) else { return nil }
        for style in [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()] {
            if let date = try? style.parse(text) {
                self.init(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()))
                return
            }
        }
        return nil
    }

    /// `YYYY-MM-DDTHH:MM:SS` with a month, day, hour, minute and second that exist (a
    /// leap second's 60 aside).
    private static func fieldsInRange(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 19 else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13), let minute = number(14..<16),
              let second = number(17..<19), number(0..<4) != nil else { return false }
        return (1...12).contains(month) && (1...31).contains(day) && hour < 24 && minute < 60 && second <= 60
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not RFC 3339: \(text)"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // Howard Hinnant's days-to-civil algorithm.
    private static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
