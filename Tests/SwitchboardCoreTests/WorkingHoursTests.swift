import Testing
@testable import SwitchboardCore

/// The calendar of a source's hours, over a year with both daylight-saving changes in New
/// York (2027: clocks go forward on 14 March at 02:00, back on 7 November at 02:00).
@Suite struct WorkingHoursTests {
    let weekdays = WorkingHours(timeZone: "America/New_York",
                                weekly: [WeeklyRange(days: [.mon, .tue, .wed, .thu, .fri], open: "09:00", close: "18:00")])

    func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    @Test func openFromOpeningUpToButNotIncludingClosingInTheZonesWallClock() {
        #expect(!weekdays.isOpen(at: at("2027-03-08T13:59:59Z")), "08:59:59 EST")
        #expect(weekdays.isOpen(at: at("2027-03-08T14:00:00Z")), "09:00 EST")
        #expect(weekdays.isOpen(at: at("2027-03-08T22:59:59Z")), "17:59:59 EST")
        #expect(!weekdays.isOpen(at: at("2027-03-08T23:00:00Z")), "18:00 EST")
        #expect(!weekdays.isOpen(at: at("2027-03-13T15:00:00Z")), "a Saturday")
    }

    @Test func springForwardMovesTheOpeningAnHourEarlierInUTC() {
        #expect(weekdays.nextChange(after: at("2027-03-12T22:00:00Z")) == at("2027-03-12T23:00:00Z"), "Friday closes 18:00 EST")
        #expect(weekdays.nextChange(after: at("2027-03-12T23:00:00Z")) == at("2027-03-15T13:00:00Z"), "Monday opens 09:00 EDT")
        #expect(weekdays.isOpen(at: at("2027-03-15T13:00:00Z")))
    }

    @Test func fallBackMovesTheOpeningAnHourLaterInUTC() {
        #expect(weekdays.nextChange(after: at("2027-11-05T21:00:00Z")) == at("2027-11-05T22:00:00Z"), "Friday closes 18:00 EDT")
        #expect(weekdays.nextChange(after: at("2027-11-05T22:00:00Z")) == at("2027-11-08T14:00:00Z"), "Monday opens 09:00 EST")
    }

    @Test func aRangeOpeningInTheSkippedHourOpensWhenTheClockJumpsPastIt() {
        let night = WorkingHours(timeZone: "America/New_York", weekly: [WeeklyRange(days: [.sun], open: "02:30", close: "04:00")])
        // 01:59 EST is followed by 03:00 EDT (07:00Z): from then the wall clock is past 02:30.
        #expect(night.nextChange(after: at("2027-03-14T06:00:00Z")) == at("2027-03-14T07:00:00Z"))
        #expect(night.nextChange(after: at("2027-03-14T07:00:00Z")) == at("2027-03-14T08:00:00Z"), "04:00 EDT")
    }

    @Test func aRangeInTheRepeatedHourIsOpenBothTimesTheClockShowsIt() {
        let night = WorkingHours(timeZone: "America/New_York", weekly: [WeeklyRange(days: [.sun], open: "01:00", close: "01:30")])
        #expect(night.nextChange(after: at("2027-11-07T04:00:00Z")) == at("2027-11-07T05:00:00Z"), "01:00 EDT")
        #expect(night.nextChange(after: at("2027-11-07T05:00:00Z")) == at("2027-11-07T05:30:00Z"), "01:30 EDT")
        #expect(night.nextChange(after: at("2027-11-07T05:30:00Z")) == at("2027-11-07T06:00:00Z"), "01:00 EST, again")
        #expect(night.nextChange(after: at("2027-11-07T06:00:00Z")) == at("2027-11-07T06:30:00Z"))
    }

    @Test func aClosedOnDateSkipsThatDayAndTheNextChangeIsTheDayAfter() {
        var hours = weekdays
        hours.closedOn = ["2027-12-31"]
        #expect(!hours.isOpen(at: at("2027-12-31T16:00:00Z")))
        #expect(hours.nextChange(after: at("2027-12-30T23:00:00Z")) == at("2028-01-03T14:00:00Z"), "Friday off, Monday 09:00")
    }

    @Test func aRangeTo2400JoinsTheNextDaysRangeFromMidnightWithoutAChange() {
        let late = WorkingHours(timeZone: "Europe/Moscow", weekly: [
            WeeklyRange(days: [.fri], open: "20:00", close: "24:00"), WeeklyRange(days: [.sat], open: "00:00", close: "02:00"),
        ])
        // Moscow is UTC+3 all year.
        #expect(late.isOpen(at: at("2026-12-11T20:59:00Z")), "23:59 Friday")
        #expect(late.isOpen(at: at("2026-12-11T21:00:00Z")), "00:00 Saturday")
        #expect(late.nextChange(after: at("2026-12-11T17:00:00Z")) == at("2026-12-11T23:00:00Z"), "02:00 Saturday, not midnight")
    }

    @Test func theWeekWrapsFromSundayToMonday() {
        let weekend = WorkingHours(timeZone: "UTC", weekly: [WeeklyRange(days: [.sun], open: "10:00", close: "12:00"),
                                                             WeeklyRange(days: [.mon], open: "08:00", close: "09:00")])
        #expect(weekend.nextChange(after: at("2026-12-13T12:00:00Z")) == at("2026-12-14T08:00:00Z"), "Sunday's close to Monday's open")
        #expect(weekend.nextChange(after: at("2026-12-14T09:00:00Z")) == at("2026-12-20T10:00:00Z"), "Monday's close to Sunday's open")
    }

    @Test func hoursOpenAroundTheClockNeverChange() {
        let always = WorkingHours(timeZone: "UTC", weekly: [WeeklyRange(days: Weekday.allCases, open: "00:00", close: "24:00")])
        #expect(always.isOpen(at: at("2026-12-07T03:00:00Z")))
        #expect(always.nextChange(after: at("2026-12-07T03:00:00Z")) == nil)
    }

    @Test func theWeekRunsMondayToSundayInTheZoneMarkingClosedDates() {
        var hours = weekdays
        hours.closedOn = ["2026-12-25"]
        let week = hours.week(of: at("2026-12-24T03:00:00Z"))  // 22:00 Wednesday in New York
        #expect(week.map(\.date) == ["2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-25", "2026-12-26", "2026-12-27"])
        #expect(week.map(\.weekday) == Weekday.allCases)
        #expect(week[0].ranges.map { $0.open + "-" + $0.close } == ["09:00-18:00"])
        #expect(week[4].closedOn && week[4].ranges.isEmpty)
        #expect(week[5].ranges.isEmpty && !week[5].closedOn)
    }
}

@Suite struct WorkingHoursReadingTests {
    func source(_ hours: String) -> Result<Command, CommandError> {
        parse(#"{"command":"source.update","args":{"id":1,"hours":"# + hours + "}}")
    }

    @Test func hoursAreReadWithTheirZoneRangesAndClosedDatesAndNullClearsThem() {
        let parsed = source(#"{"time_zone":"Europe/Moscow","weekly":[{"days":["mon","tue"],"open":"09:00","close":"24:00"}],"closed_on":["2026-12-31"]}"#)
        let hours = WorkingHours(timeZone: "Europe/Moscow", weekly: [WeeklyRange(days: [.mon, .tue], open: "09:00", close: "24:00")],
                                 closedOn: ["2026-12-31"])
        #expect(parsed == .success(.sourceUpdate(id: 1, name: nil, settings: SourceSettings(hours: .set(hours)))))
        #expect(source("null") == .success(.sourceUpdate(id: 1, name: nil, settings: SourceSettings(hours: .clear))))
    }

    @Test(arguments: [
        (#"{"time_zone":"Mars/Olympus","weekly":[{"days":["mon"],"open":"09:00","close":"18:00"}]}"#,
         "hours.time_zone", "is not an IANA time zone such as Europe/Moscow"),
        (#"{"time_zone":"UTC","weekly":[{"days":["monday"],"open":"09:00","close":"18:00"}]}"#,
         "hours.weekly[0].days[0]", "must be one of mon, tue, wed, thu, fri, sat, sun"),
        (#"{"time_zone":"UTC","weekly":[{"days":["mon"],"open":"9:00","close":"18:00"}]}"#,
         "hours.weekly[0].open", "must be a time HH:MM from 00:00 to 23:59"),
        (#"{"time_zone":"UTC","weekly":[{"days":["mon"],"open":"09:00","close":"24:30"}]}"#,
         "hours.weekly[0].close", "must be a time HH:MM from 00:01 to 24:00"),
        (#"{"time_zone":"UTC","weekly":[{"days":["mon"],"open":"18:00","close":"09:00"}]}"#,
         "hours.weekly[0].close", "must be after open (18:00); a range past midnight is two ranges, the first to 24:00"),
        (#"{"time_zone":"UTC","weekly":[]}"#, "hours.weekly", "must hold 1 to 50 ranges, got 0"),
        (#"{"time_zone":"UTC","weekly":[{"days":["mon"],"open":"09:00","close":"18:00"}],"closed_on":["2026-02-30"]}"#,
         "hours.closed_on[0]", "must be a date such as 2026-12-31"),
        (#"{"time_zone":"UTC","weekly":[{"days":["mon"],"open":"09:00","close":"18:00"}],"holidays":[]}"#,
         "hours.holidays", "is not a known field"),
    ])
    func aBadZoneDayOrTimeNamesTheField(_ hours: String, _ field: String, _ problem: String) {
        #expect(problems(#"{"command":"source.update","args":{"id":1,"hours":"# + hours + "}}") == [FieldProblem(field: field, problem: problem)])
    }
}
