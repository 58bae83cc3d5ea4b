import BrokerTestSupport
import Foundation
import SwitchboardCore
@testable import SwitchboardReplay
@testable import SwitchboardStore
import Testing

/// The questions the what-if replay exists for, on a day where Spanish requests wait for two
/// specialists of one slot each: the changes that should help help, and the one that should
/// hurt hurts.
@Suite struct ReplayWhatIfTests {
    /// 2026-11-26 08:00 UTC, a Thursday.
    static let eight: Int64 = 1_795_680_000_000
    static let spanish = [Requirement(skill: "lang.es", minLevel: 3, relaxAfterSeconds: 900)]

    /// Four generalists (two slots) on "chat", and specialists 5 and 6 (one slot each) who
    /// take chat too; "spanish" needs lang.es 3 for 15 minutes, then anyone weighted for it.
    /// Six hours from 08:00: chat every 40 s, Spanish every 80 s on average.
    static func livedDay() throws -> (store: SwitchboardStore, since: Timestamp, until: Timestamp) {
        let clock = Clock()
        clock.move(to: eight - 60_000)
        let store = try makeStore(seed: 3, clock: clock)
        try store.ok(.sourceCreate(name: "Chat", identifier: "chat"))
        try store.ok(.sourceCreate(name: "Spanish", identifier: "spanish", settings: SourceSettings(requires: spanish)))
        for n in 1...4 { try store.createOperator("general \(n)", limit: 2) }
        for n in 5...6 {
            try store.ok(.operatorCreate(name: "specialist \(n)", maxLoadLimit: 1, isActive: true,
                                         settings: OperatorSettings(skills: ["lang.es": 3])))
        }
        try store.ok(.sourceSetWeights(sourceId: 1, weights: (1...6).map { Weight(operatorId: Int64($0), weight: 10) }))
        try store.ok(.sourceSetWeights(sourceId: 2, weights: (1...6).map { Weight(operatorId: Int64($0), weight: 10) }))
        var day = ScriptedDay.steady(start: eight, count: 540, gapSeconds: 40, longestSeconds: 400, sources: [1], seed: 11)
        let spanishDay = ScriptedDay.steady(start: eight, count: 270, gapSeconds: 80, longestSeconds: 240, sources: [2], seed: 12)
        day.arrivals = (day.arrivals + spanishDay.arrivals).sorted { $0.at < $1.at }
        try day.play(on: store, clock: clock)
        return (store, Timestamp(milliseconds: eight), Timestamp(milliseconds: eight + 6 * 3_600_000))
    }

    /// The Spanish source's time-to-assign p90 as it was and with `changes`, in seconds.
    static func spanishP90(_ label: String, _ changes: JSONValue) throws -> (was: Double, now: Double) {
        let (store, since, until) = try livedDay()
        let day = try store.recordedDay(since: since, until: until)
        let parsed = try ReplayChanges.parse(changes, operators: Set(day.operators.map(\.id)), sources: Set(day.sources.map(\.id))).get()
        let report = try Replay.run(day, changes: parsed, seed: 3)
        func p90(_ outcome: ReplayOutcome) -> Double {
            outcome.serviceLevel.bySource.first { $0.sourceId == 2 }?.timeToAssignSeconds.p90 ?? .infinity
        }
        print("what-if, \(label): Spanish p90 \(p90(report.asItWas)) s → \(p90(report.withChanges)) s")
        return (p90(report.asItWas), p90(report.withChanges))
    }

    @Test func raisingTheTwoSpecialistsLimitsShortensTheSpanishWait() throws {
        let (was, now) = try Self.spanishP90("limits 1 → 3", ["operators": ["5": ["max_load_limit": 3], "6": ["max_load_limit": 3]]])
        #expect(was > 60, "the day had a Spanish line")
        #expect(now < was / 2)
    }

    @Test func addingASpecialistFromNineToOneShortensTheSpanishWait() throws {
        let (was, now) = try Self.spanishP90("a specialist 09:00-13:00", ["add_operators": [[
            "name": "temp", "max_load_limit": 2, "skills": ["lang.es": 4], "weights": ["2": 10],
            "presence_schedule": ["time_zone": "UTC", "weekly": [["days": ["thu"], "open": "09:00", "close": "13:00"]]],
        ]]])
        #expect(now < was)
    }

    @Test func takingTheSpecialistsSkillAwayLengthensTheSpanishWait() throws {
        let (was, now) = try Self.spanishP90("no specialist", ["operators": ["5": ["skills": [:]], "6": ["skills": [:]]]])
        #expect(now > was)
        #expect(now >= 900, "nobody qualifies until the requirement relaxes after 15 minutes")
    }
}

@Suite struct ReplayRefusalTests {
    @Test func aWindowWithNoRequestsIsRefusedNamingTheField() throws {
        let store = try makeStore()
        try store.createOperator("Ann", limit: 1)
        let day = try store.recordedDay(since: Timestamp(milliseconds: 0), until: Timestamp(milliseconds: 1_000))
        do {
            _ = try Replay.run(day, changes: ReplayChanges(), seed: 1)
            Issue.record("an empty window was replayed")
        } catch let error as CommandError {
            #expect(error.code == .validationError && error.details.map(\.field) == ["since"])
        }
    }
}
