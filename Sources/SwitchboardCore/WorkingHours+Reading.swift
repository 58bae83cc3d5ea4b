import Foundation

extension Limits {
    /// `hours.weekly` ranges and `hours.closed_on` dates a source may have.
    public static let weeklyRanges = 1...50
    public static let closedOnDates = 0...400
}

/// What `source.create`/`source.update` say of `hours`: left as it is, cleared (`null`:
/// always open), or set.
public enum HoursChange: Sendable, Equatable {
    case clear
    case set(WorkingHours)
}

extension FieldReader {
    /// `hours`: absent (nil), `null` (``HoursChange/clear``) or an object, every bad zone,
    /// day or time named by its path (`hours.weekly[0].close`).
    public mutating func hours(_ key: String) -> HoursChange? {
        if isNull(key) { return .clear }
        guard let members = object(key) else { return nil }
        var r = FieldReader(members, prefix: "\(prefixed(key)).")
        let zone = r.text("time_zone", maxLength: 64)
        if let zone, TimeZone(identifier: zone) == nil {
            r.problem("time_zone", "is not an IANA time zone such as Europe/Moscow")
        }
        var weekly: [WeeklyRange] = []
        if let items = r.array("weekly") {
            if !Limits.weeklyRanges.contains(items.count) {
                r.problem("weekly", "must hold \(Limits.weeklyRanges.lowerBound) to \(Limits.weeklyRanges.upperBound) ranges, got \(items.count)")
            }
            for (index, item) in items.enumerated() {
                if let range = r.weeklyRange(item, field: "weekly[\(index)]") { weekly.append(range) }
            }
        }
        var closedOn: [String] = []
        if let dates = r.array("closed_on", required: false) {
            if !Limits.closedOnDates.contains(dates.count) { r.problem("closed_on", "must hold at most \(Limits.closedOnDates.upperBound) dates") }
            for (index, item) in dates.enumerated() {
                guard case let .string(text) = item, Self.isDate(text) else {
                    r.problem("closed_on[\(index)]", "must be a date such as 2026-12-31")
                    continue
                }
                closedOn.append(text)
            }
        }
        r.rejectUnknownFields()
        merge(r)
        guard r.problems.isEmpty, let zone else { return nil }
        return .set(WorkingHours(timeZone: zone, weekly: weekly, closedOn: closedOn))
    }

    private mutating func weeklyRange(_ item: JSONValue, field: String) -> WeeklyRange? {
        guard case let .object(members) = item else {
            problem(field, "must be an object, got \(item.kindName)")
            return nil
        }
        var r = FieldReader(members, prefix: "\(prefixed(field)).")
        var days: [Weekday] = []
        if let items = r.array("days") {
            if items.isEmpty { r.problem("days", "must name at least one day") }
            for (index, item) in items.enumerated() {
                guard case let .string(text) = item, let day = Weekday(rawValue: text) else {
                    r.problem("days[\(index)]", "must be one of \(Weekday.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                if days.contains(day) { r.problem("days[\(index)]", "\(text) is named more than once") }
                days.append(day)
            }
        }
        let open = r.clockTime("open", latest: 23 * 60 + 59)
        let close = r.clockTime("close", latest: 24 * 60)
        if let open, let close, let from = WeeklyRange.minutes(open), let to = WeeklyRange.minutes(close), to <= from {
            r.problem("close", "must be after open (\(open)); a range past midnight is two ranges, the first to 24:00")
        }
        r.rejectUnknownFields()
        merge(r)
        guard r.problems.isEmpty, let open, let close else { return nil }
        return WeeklyRange(days: days, open: open, close: close)
    }

    private mutating func clockTime(_ key: String, latest: Int) -> String? {
        guard let text = text(key, maxLength: 5) else { return nil }
        guard let minutes = WeeklyRange.minutes(text), minutes <= latest else {
            problem(key, latest == 24 * 60 ? "must be a time HH:MM from 00:01 to 24:00" : "must be a time HH:MM from 00:00 to 23:59")
            return nil
        }
        return text
    }

    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components) else { return false }
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        return back.year == year && back.month == month && back.day == day
    }
}
