import Foundation

/// When a source is staffed: weekly ranges of wall-clock time in an IANA zone, less the
/// dates it is closed on. A pure decision of the writer: given an instant it says whether
/// the source is open and when that next changes; the writer keeps the change as a deadline
/// and never asks the clock per request. Daylight-saving changes follow the zone: a range
/// is wall-clock time, so 09:00 is 09:00 on both sides of a change.
public struct WorkingHours: Sendable, Equatable, Codable {
    public var timeZone: String
    public var weekly: [WeeklyRange]
    /// Local dates (`YYYY-MM-DD`) closed all day, whatever the weekly ranges say.
    public var closedOn: [String]

    public init(timeZone: String, weekly: [WeeklyRange], closedOn: [String] = []) {
        self.timeZone = timeZone
        self.weekly = weekly
        self.closedOn = closedOn
    }

    enum CodingKeys: String, CodingKey {
        case timeZone = "time_zone", weekly, closedOn = "closed_on"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(timeZone: try c.decode(String.self, forKey: .timeZone), weekly: try c.decode([WeeklyRange].self, forKey: .weekly),
                  closedOn: try c.decodeIfPresent([String].self, forKey: .closedOn) ?? [])
    }
}

public enum Weekday: String, Sendable, Codable, CaseIterable {
    case mon, tue, wed, thu, fri, sat, sun

    /// From Foundation's numbering (1 is Sunday).
    init(gregorian: Int) { self = Self.allCases[(gregorian + 5) % 7] }
}

/// Open from `open` to `close` (`HH:MM`, `close` up to `24:00`) on each of `days`.
public struct WeeklyRange: Sendable, Equatable, Codable {
    public var days: [Weekday]
    public var open: String
    public var close: String

    public init(days: [Weekday], open: String, close: String) {
        self.days = days
        self.open = open
        self.close = close
    }

    var openMinute: Int { Self.minutes(open) ?? 0 }
    var closeMinute: Int { Self.minutes(close) ?? 0 }

    /// Minutes after midnight of `HH:MM` (00:00…24:00); nil when it is not one.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]),
              (0...24).contains(hours), (0...59).contains(minutes), hours < 24 || minutes == 0 else { return nil }
        return hours * 60 + minutes
    }
}

extension WorkingHours {
    /// How far ahead ``nextChange(after:)`` looks: past a year of `closed_on` dates.
    static let horizonDays = 400

    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        return calendar
    }

    public func isOpen(at time: Timestamp) -> Bool { isOpen(at: time, calendar) }

    private func isOpen(at time: Timestamp, _ calendar: Calendar) -> Bool {
        let local = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: time.date)
        guard !closedOn.contains(Self.dateText(local)) else { return false }
        let day = Weekday(gregorian: local.weekday ?? 1)
        let minute = (local.hour ?? 0) * 60 + (local.minute ?? 0)
        return weekly.contains { $0.days.contains(day) && $0.openMinute <= minute && minute < $0.closeMinute }
    }

    /// The first instant after `time` at which the source opens if it is closed then, or
    /// closes if it is open; nil when that never happens within ``horizonDays``.
    public func nextChange(after time: Timestamp) -> Timestamp? {
        let calendar = calendar
        let now = isOpen(at: time, calendar)
        var previous = time
        var day = calendar.startOfDay(for: time.date)
        for _ in 0..<Self.horizonDays {
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            for candidate in candidates(from: day, to: next, calendar) where candidate > previous {
                if isOpen(at: candidate, calendar) != now { return firstChange(between: previous, and: candidate, from: now, calendar) }
                previous = candidate
            }
            day = next
        }
        return nil
    }

    /// Where a change may fall in one local day, in order: its start, each range's ends, and
    /// on a day whose offset changes (a daylight-saving day) every quarter hour, since the
    /// wall clock there skips or repeats an hour.
    private func candidates(from day: Date, to next: Date, _ calendar: Calendar) -> [Timestamp] {
        var found: Set<Int64> = [Timestamp(day).milliseconds, Timestamp(next).milliseconds]
        let weekday = Weekday(gregorian: calendar.component(.weekday, from: day))
        let date = calendar.dateComponents([.year, .month, .day], from: day)
        for range in weekly where range.days.contains(weekday) {
            for minute in [range.openMinute, range.closeMinute] {
                var wall = date
                (wall.hour, wall.minute) = (minute / 60, minute % 60)
                if minute < 24 * 60, let instant = calendar.date(from: wall) { found.insert(Timestamp(instant).milliseconds) }
            }
        }
        let zone = calendar.timeZone
        if zone.secondsFromGMT(for: day) != zone.secondsFromGMT(for: next.addingTimeInterval(-1)) {
            for quarter in stride(from: day.timeIntervalSince1970, to: next.timeIntervalSince1970, by: 900) {
                found.insert(Int64(quarter * 1_000))
            }
        }
        return found.sorted().map(Timestamp.init(milliseconds:))
    }

    /// The first whole minute in (`after`, `by`] whose state differs from `state`, `by`'s
    /// being known to differ: a bisection, since between two candidates it flips once.
    private func firstChange(between after: Timestamp, and by: Timestamp, from state: Bool, _ calendar: Calendar) -> Timestamp {
        var (low, high) = (after.milliseconds, by.milliseconds)
        while high - low > 60_000 {
            let middle = (low + (high - low) / 2) / 60_000 * 60_000
            guard middle > low else { break }
            if isOpen(at: Timestamp(milliseconds: middle), calendar) != state { high = middle } else { low = middle }
        }
        return Timestamp(milliseconds: high)
    }

    static func dateText(_ local: DateComponents) -> String {
        String(format: "%04d-%02d-%02d", local.year ?? 0, local.month ?? 0, local.day ?? 0)
    }
}

extension Timestamp {
    init(_ date: Date) { self.init(milliseconds: Int64((date.timeIntervalSince1970 * 1_000).rounded())) }
    var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1_000) }
}

/// One local day of a week's hours, as `switchboardctl source hours` prints it.
public struct DayHours: Sendable, Equatable {
    public var date: String
    public var weekday: Weekday
    /// `HH:MM` pairs, in order; empty when closed all day.
    public var ranges: [(open: String, close: String)]
    /// Whether `closed_on` names the date.
    public var closedOn: Bool

    public static func == (a: DayHours, b: DayHours) -> Bool {
        a.date == b.date && a.weekday == b.weekday && a.closedOn == b.closedOn
            && a.ranges.map { [$0.open, $0.close] } == b.ranges.map { [$0.open, $0.close] }
    }
}

extension WorkingHours {
    /// Monday to Sunday of the local week holding `time`.
    public func week(of time: Timestamp) -> [DayHours] {
        let calendar = calendar
        let today = calendar.startOfDay(for: time.date)
        let back = (calendar.component(.weekday, from: today) + 5) % 7
        return (0..<7).compactMap { offset -> DayHours? in
            guard let day = calendar.date(byAdding: .day, value: offset - back, to: today) else { return nil }
            let date = Self.dateText(calendar.dateComponents([.year, .month, .day], from: day))
            let weekday = Weekday(gregorian: calendar.component(.weekday, from: day))
            let closed = closedOn.contains(date)
            let ranges = closed ? [] : weekly.filter { $0.days.contains(weekday) }.sorted { $0.openMinute < $1.openMinute }
                .map { (open: $0.open, close: $0.close) }
            return DayHours(date: date, weekday: weekday, ranges: ranges, closedOn: closed)
        }
    }
}
