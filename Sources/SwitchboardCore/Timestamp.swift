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

    /// Formats by hand: Foundation's ISO8601DateFormatter is slow and not Sendable, and this
    /// runs once per field of every event.
    public var description: String {
        let ms = Int(milliseconds.remainderReportingOverflow(dividingBy: 1000).partialValue + 1000) % 1000
        let totalSeconds = (milliseconds - Int64(ms)) / 1000
        let days = Int(totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400)
        let secondsOfDay = Int(totalSeconds - Int64(days) * 86_400)
        let (year, month, day) = Self.civil(fromDays: days)
        var out = ""
        out.reserveCapacity(24)
        Self.append(year, width: 4, to: &out); out += "-"
        Self.append(month, width: 2, to: &out); out += "-"
        Self.append(day, width: 2, to: &out); out += "T"
        Self.append(secondsOfDay / 3600, width: 2, to: &out); out += ":"
        Self.append(secondsOfDay / 60 % 60, width: 2, to: &out); out += ":"
        Self.append(secondsOfDay % 60, width: 2, to: &out); out += "."
        Self.append(ms, width: 3, to: &out); out += "Z"
        return out
    }

    /// Parses the RFC 3339 forms clients send: `Z` or a numeric offset, with or without
    /// fractional seconds.
    public init?(rfc3339 text: String) {
        for style in [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()] {
            if let date = try? style.parse(text) {
                self.init(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()))
                return
            }
        }
        return nil
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

    private static func append(_ value: Int, width: Int, to out: inout String) {
        let digits = String(value)
        if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
        out += digits
    }
}
