import Testing
@testable import SwitchboardCore

@Suite struct CompetencyParsingTests {
    @Test func operatorsTakeSkillsAndCapacitiesAndTheListTakesASkillFilter() throws {
        #expect(parse(#"{"command":"operator.create","args":{"name":"A","max_load_limit":3,"skills":{"lang.es":5,"billing":3},"capacity":{"voice":1,"chat":3}}}"#)
            == .success(.operatorCreate(name: "A", maxLoadLimit: 3, isActive: true,
                                        settings: OperatorSettings(skills: ["lang.es": 5, "billing": 3], capacity: ["voice": 1, "chat": 3]))))
        #expect(parse(#"{"command":"operator.update","args":{"id":2,"skills":{}}}"#)
            == .success(.operatorUpdate(id: 2, name: nil, maxLoadLimit: nil, isActive: nil, settings: OperatorSettings(skills: [:]))))
        #expect(parse(#"{"command":"operator.list","args":{"skill":"billing","min_level":3}}"#)
            == .success(.operatorList(OperatorFilter(skill: "billing", minLevel: 3))))
    }

    @Test func sourcesTakeAChannelAStrategyAndRequirements() throws {
        let parsed = parse(#"""
            {"command":"source.update","args":{"id":1,"channel":"chat","strategy":"least_loaded",
             "requires":[{"skill":"lang.es","min_level":3,"relax_after_seconds":60},{"skill":"billing"}]}}
            """#)
        #expect(parsed == .success(.sourceUpdate(id: 1, name: nil, settings: SourceSettings(
            channel: "chat", strategy: .leastLoaded,
            requires: [Requirement(skill: "lang.es", minLevel: 3, relaxAfterSeconds: 60), Requirement(skill: "billing")]))))
    }

    @Test(arguments: [
        (#""skills":{"lang.es":11}"#, "skills.lang.es", "must be between 1 and 10"),
        (#""skills":{"Lang":1}"#, "skills.Lang", "is not a skill name: must match ^[a-z0-9][a-z0-9_.-]{0,63}$"),
        (#""skills":[1]"#, "skills", "must be an object, got array"),
        (#""capacity":{"chat":10001}"#, "capacity.chat", "must be between 0 and 10000"),
        (#""capacity":{"chat":-1}"#, "capacity.chat", "must be between 0 and 10000"),
    ])
    func badSkillsAndCapacitiesNameTheField(_ arg: String, _ field: String, _ problem: String) {
        #expect(problems(#"{"command":"operator.update","args":{"id":1,"# + arg + "}}") == [FieldProblem(field: field, problem: problem)])
    }

    @Test(arguments: [
        (#""requires":[{"skill":"billing","min_level":0}]"#, "requires[0].min_level", "must be between 1 and 10"),
        (#""requires":[{"skill":"billing","relax_after_seconds":86401}]"#, "requires[0].relax_after_seconds", "must be between 1 and 86400"),
        (#""requires":[{"min_level":2}]"#, "requires[0].skill", "is required"),
        (#""requires":[{"skill":"a"},{"skill":"a"}]"#, "requires[1].skill", "skill a is required more than once"),
        (#""requires":[{"skill":"a","level":2}]"#, "requires[0].level", "is not a known field"),
        (#""strategy":"random""#, "strategy", "must be one of weighted, least_loaded, longest_idle"),
        (#""channel":"Chat""#, "channel", "must match ^[a-z0-9][a-z0-9_.-]{0,63}$"),
    ])
    func badSourceCompetenciesNameTheField(_ arg: String, _ field: String, _ problem: String) {
        #expect(problems(#"{"command":"source.update","args":{"id":1,"# + arg + "}}") == [FieldProblem(field: field, problem: problem)])
    }

    @Test func moreThanTenRequirementsOrAHundredSkillsAreRefused() {
        let eleven = (0..<11).map { #"{"skill":"s\#($0)"}"# }.joined(separator: ",")
        #expect(problems(#"{"command":"source.update","args":{"id":1,"requires":["# + eleven + "]}}").map(\.field) == ["requires"])
        let many = (0..<101).map { #""s\#($0)":1"# }.joined(separator: ",")
        #expect(problems(#"{"command":"operator.update","args":{"id":1,"skills":{"# + many + "}}}").map(\.field) == ["skills"])
    }

    @Test func aMinLevelWithoutASkillIsRefused() {
        #expect(problems(#"{"command":"operator.list","args":{"min_level":2}}"#) == [FieldProblem(field: "min_level", problem: "is allowed only with skill")])
    }

    @Test func intakeTakesRequirementsAndDeadLettersBadOnesNamingThem() throws {
        let body = #"{"user_identifier":"u","source_id":1,"message":"m","requires":[{"skill":"lang.es","min_level":3,"relax_after_seconds":30}]}"#
        #expect(try IntakeMessage.parse(Array(body.utf8)).get().requires == [Requirement(skill: "lang.es", minLevel: 3, relaxAfterSeconds: 30)])
        #expect(try IntakeMessage.parse(Array(#"{"user_identifier":"u","source_id":1,"message":"m"}"#.utf8)).get().requires == nil)
        guard case let .failure(rejection) = IntakeMessage.parse(Array(
            #"{"user_identifier":"u","source_id":1,"message":"m","requires":[{"skill":"x","min_level":99}]}"#.utf8))
        else {
            Issue.record("accepted a level of 99")
            return
        }
        #expect(rejection.code == .invalidField && rejection.reason == "requires[0].min_level must be between 1 and 10")
    }

    @Test func relaxationDropsEachRequirementOnceAtItsTimeFromCreation() {
        let requires = [Requirement(skill: "a", relaxAfterSeconds: 10), Requirement(skill: "b", relaxAfterSeconds: 30), Requirement(skill: "c")]
        #expect(Relaxation.firstDue(requires: requires, relaxed: [], createdAt: 1_000) == 11_000)
        #expect(Relaxation.due(requires: requires, relaxed: [], createdAt: 1_000, now: 10_999) == ([], 11_000))
        #expect(Relaxation.due(requires: requires, relaxed: [], createdAt: 1_000, now: 11_000) == (["a"], 31_000))
        #expect(Relaxation.due(requires: requires, relaxed: ["a"], createdAt: 1_000, now: 40_000) == (["b"], nil))
        #expect(Relaxation.due(requires: requires, relaxed: ["a", "b"], createdAt: 1_000, now: 99_000) == ([], nil))
        #expect(Requirement.inForce(requires, relaxed: ["a", "b"]) == [Requirement(skill: "c")])
    }

    @Test func aLineKeyReadsBackAsItWasWrittenAndIgnoresRelaxTimes() {
        let key = LineKey(sourceId: 7, escalated: true, requirements: [Requirement(skill: "lang.es", minLevel: 5, relaxAfterSeconds: 9),
                                                                        Requirement(skill: "billing", minLevel: 3)])
        #expect(key.description == "7|e|billing=3,lang.es=5")
        #expect(LineKey(key.description) == key)
        #expect(LineKey("3|-|") == LineKey(sourceId: 3, escalated: false, requirements: []))
    }

    @Test func theEligibilityRuleNamesWhatIsMissing() {
        let available = OperatorAvailability(load: 1, limit: 5)
        #expect(Eligibility.unavailability(available, channel: "voice", channelLoad: 1, channelCapacity: 1, skills: [:], requirements: [])
            == .atChannelCapacity(channel: "voice", capacity: 1))
        #expect(Eligibility.unavailability(available, channel: "chat", channelLoad: 1, channelCapacity: nil, skills: ["a": 2],
                                           requirements: [Requirement(skill: "a", minLevel: 3)])
            == .lacksSkill(Requirement(skill: "a", minLevel: 3)))
        #expect(!Eligibility.isEligible(available, channel: "chat", channelLoad: 0, channelCapacity: nil, skills: [:], requirements: [],
                                        weight: 0, overflow: false))
        #expect(Eligibility.isEligible(available, channel: "chat", channelLoad: 0, channelCapacity: nil, skills: [:], requirements: [],
                                       weight: 0, overflow: true))
    }
}
