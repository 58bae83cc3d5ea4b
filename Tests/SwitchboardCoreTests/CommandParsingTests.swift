import Foundation
import PropertyBased
import Testing
@testable import SwitchboardCore

func parse(_ json: String) -> Result<Command, CommandError> { Command.parse(Array(json.utf8)) }

func problems(_ json: String) -> [FieldProblem] {
    guard case let .failure(error) = parse(json) else { return [] }
    return error.details
}

@Suite struct CommandParsingTests {
    @Test func parsesEveryContractCommand() throws {
        let cases: [(String, Command)] = [
            (#"{"command":"operator.create","args":{"name":"  Иван Петров ","max_load_limit":10}}"#,
             .operatorCreate(name: "Иван Петров", maxLoadLimit: 10, isActive: true)),
            (#"{"command":"operator.create","args":{"name":"A","max_load_limit":1,"is_active":false}}"#,
             .operatorCreate(name: "A", maxLoadLimit: 1, isActive: false)),
            (#"{"command":"operator.list"}"#, .operatorList()),
            (#"{"command":"operator.get","args":{"id":3}}"#, .operatorGet(id: 3)),
            (#"{"command":"operator.update","args":{"id":3,"max_load_limit":20}}"#,
             .operatorUpdate(id: 3, name: nil, maxLoadLimit: 20, isActive: nil)),
            (#"{"command":"operator.toggle_active","args":{"id":3}}"#, .operatorToggleActive(id: 3)),
            (#"{"command":"operator.delete","args":{"id":3}}"#, .operatorDelete(id: 3)),
            (#"{"command":"source.create","args":{"name":"Telegram Bot","identifier":"telegram"}}"#,
             .sourceCreate(name: "Telegram Bot", identifier: "telegram")),
            (#"{"command":"source.list","args":{}}"#, .sourceList),
            (#"{"command":"source.get","args":{"id":1}}"#, .sourceGet(id: 1)),
            (#"{"command":"source.set_weights","args":{"source_id":1,"weights":[{"operator_id":1,"weight":50},{"operator_id":2,"weight":30}]}}"#,
             .sourceSetWeights(sourceId: 1, weights: [Weight(operatorId: 1, weight: 50), Weight(operatorId: 2, weight: 30)])),
            (#"{"command":"request.get","args":{"id":9}}"#, .requestGet(id: 9)),
            (#"{"command":"request.list","args":{"status":"waiting","limit":5,"after_id":10}}"#,
             .requestList(RequestFilter(status: .waiting, limit: 5, afterId: 10))),
            (#"{"command":"request.list"}"#, .requestList(RequestFilter())),
            (#"{"command":"request.assign","args":{"id":9}}"#, .requestAssign(id: 9, operatorId: nil)),
            (#"{"command":"request.assign","args":{"id":9,"operator_id":2}}"#, .requestAssign(id: 9, operatorId: 2)),
            (#"{"command":"request.close","args":{"id":9}}"#, .requestClose(id: 9)),
            (#"{"command":"operator.end_wrap_up","args":{"id":3}}"#, .operatorEndWrapUp(id: 3)),
            (#"{"command":"request.transfer","args":{"id":9,"operator_id":2}}"#, .requestTransfer(id: 9, to: .operator(2), reason: nil)),
            (#"{"command":"operator.create","args":{"name":"B","max_load_limit":2,"presence":"away"}}"#,
             .operatorCreate(name: "B", maxLoadLimit: 2, isActive: true, presence: .away)),
            (#"{"command":"operator.set_presence","args":{"id":3,"presence":"offline","requeue":true}}"#,
             .operatorSetPresence(id: 3, presence: .offline, requeue: true)),
            (#"{"command":"operator.set_presence","args":{"id":3,"presence":"away"}}"#,
             .operatorSetPresence(id: 3, presence: .away, requeue: false)),
            (#"{"command":"source.create","args":{"name":"Chat","identifier":"chat","offer_timeout_seconds":30}}"#,
             .sourceCreate(name: "Chat", identifier: "chat", settings: SourceSettings(offerTimeoutSeconds: 30))),
            (#"{"command":"source.update","args":{"id":1,"offer_timeout_seconds":0}}"#,
             .sourceUpdate(id: 1, name: nil, settings: SourceSettings(offerTimeoutSeconds: 0))),
            (#"{"command":"request.list","args":{"status":"offered"}}"#, .requestList(RequestFilter(status: .offered))),
            (#"{"command":"request.accept","args":{"id":9,"operator_id":2}}"#, .requestAccept(id: 9, operatorId: 2)),
            (#"{"command":"request.reject","args":{"id":9,"operator_id":2,"reason":" busy "}}"#,
             .requestReject(id: 9, operatorId: 2, reason: "busy")),
            (#"{"command":"request.purge","args":{"closed_before":"2026-08-01T00:00:00Z"}}"#,
             .requestPurge(closedBefore: Timestamp(rfc3339: "2026-08-01T00:00:00Z")!, dryRun: false)),
            (#"{"command":"request.purge","args":{"closed_before":"2026-08-01T02:00:00+02:00","dry_run":true}}"#,
             .requestPurge(closedBefore: Timestamp(rfc3339: "2026-08-01T00:00:00Z")!, dryRun: true)),
            (#"{"command":"request.set_priority","args":{"id":9,"priority":7}}"#, .requestSetPriority(id: 9, priority: 7)),
            (#"{"command":"source.update","args":{"id":1,"max_wait_seconds":60,"overflow":true,"sticky_seconds":3600}}"#,
             .sourceUpdate(id: 1, name: nil, settings: SourceSettings(maxWaitSeconds: 60, overflow: true, stickySeconds: 3600))),
            (#"{"command":"stats.service_level"}"#, .statsServiceLevel(ServiceLevelQuery())),
            (#"{"command":"stats.service_level","args":{"since":"2026-11-24T00:00:00Z","until":"2026-11-25T00:00:00Z","source_id":2,"thresholds_seconds":[10,20]}}"#,
             .statsServiceLevel(ServiceLevelQuery(since: Timestamp(rfc3339: "2026-11-24T00:00:00Z"),
                                                  until: Timestamp(rfc3339: "2026-11-25T00:00:00Z"), sourceId: 2,
                                                  thresholdsSeconds: [10, 20]))),
            (#"{"command":"stats.operators_load"}"#, .statsOperatorsLoad),
            (#"{"command":"stats.requests_distribution"}"#, .statsRequestsDistribution),
            (#"{"command":"service.status"}"#, .serviceStatus),
            (#"{"command":"audit.list","args":{"user":"ops","command":"operator.delete","after_id":4,"limit":20}}"#,
             .auditList(AuditFilter(afterId: 4, limit: 20, user: "ops", command: "operator.delete"))),
            (#"{"command":"events.list_set_aside","args":{"limit":20,"routing_key":"request.assigned","after_event_id":"e-1"}}"#,
             .eventsListSetAside(SetAsideFilter(limit: 20, routingKey: "request.assigned", afterEventId: "e-1"))),
            (#"{"command":"events.resend","args":{"routing_key":"request.closed","since":"2026-12-07T10:00:00Z","until":"2026-12-07T11:00:00Z"}}"#,
             .eventsResend(ResendSelection(routingKey: "request.closed", since: Timestamp(rfc3339: "2026-12-07T10:00:00Z"),
                                           until: Timestamp(rfc3339: "2026-12-07T11:00:00Z")))),
            (#"{"command":"replay.run","args":{"since":"2026-12-07T08:00:00Z","until":"2026-12-07T18:00:00Z","seed":7,"changes":{"operators":{"2":{"max_load_limit":5}}}}}"#,
             .replayRun(ReplayQuery(since: Timestamp(rfc3339: "2026-12-07T08:00:00Z")!, until: Timestamp(rfc3339: "2026-12-07T18:00:00Z")!,
                                    changes: ["operators": ["2": ["max_load_limit": 5]]], seed: 7))),
        ]
        for (json, expected) in cases {
            #expect(try parse(json).get() == expected, "\(json)")
        }
        #expect(Set(cases.map { $0.1.name }) == Set(CommandName.allCases.map(\.rawValue)))
    }

    @Test(arguments: [
        (#"{"id":1,"priority":10}"#, "priority", "must be between 0 and 9"),
        (#"{"id":1,"priority":-1}"#, "priority", "must be between 0 and 9"),
        (#"{"id":1,"priority":2.5}"#, "priority", "must be an integer, got number"),
        (#"{"id":1,"priority":"high"}"#, "priority", "must be an integer, got string"),
        (#"{"id":1}"#, "priority", "is required"),
    ])
    func setPriorityValidation(_ args: String, _ field: String, _ problem: String) {
        let found = problems(#"{"command":"request.set_priority","args":"# + args + "}")
        #expect(found == [FieldProblem(field: field, problem: problem)])
    }

    @Test(arguments: [
        (#"{"since":"2026-11-25T00:00:00Z","until":"2026-11-24T00:00:00Z"}"#, "since",
         "must not be after until (2026-11-24T00:00:00.000Z)"),
        (#"{"since":"yesterday"}"#, "since", "must be an RFC 3339 time such as 2026-11-25T00:00:00Z"),
        (#"{"until":"2026-13-01T00:00:00Z"}"#, "until", "must be an RFC 3339 time such as 2026-11-25T00:00:00Z"),
        (#"{"source_id":0}"#, "source_id", "must be a positive integer"),
        (#"{"thresholds_seconds":[]}"#, "thresholds_seconds", "must hold 1 to 10 thresholds, got 0"),
        (#"{"thresholds_seconds":[30,-5]}"#, "thresholds_seconds[1]", "must be between 1 and 604800"),
        (#"{"thresholds_seconds":[1,2,3,4,5,6,7,8,9,10,11]}"#, "thresholds_seconds", "must hold 1 to 10 thresholds, got 11"),
        (#"{"thresholds_seconds":30}"#, "thresholds_seconds", "must be an array, got integer"),
    ])
    func serviceLevelValidation(_ args: String, _ field: String, _ problem: String) {
        let found = problems(#"{"command":"stats.service_level","args":"# + args + "}")
        #expect(found == [FieldProblem(field: field, problem: problem)])
    }

    @Test(arguments: [
        (#"{}"#, "all", "is required (true) to resend every set-aside event; or give routing_key, since, until or event_ids"),
        (#"{"all":false}"#, "all", "is required (true) to resend every set-aside event; or give routing_key, since, until or event_ids"),
        (#"{"all":true,"routing_key":"request.assigned"}"#, "all", "takes every set-aside event: give it alone, or the filters without it"),
        (#"{"since":"2026-12-07T11:00:00Z","until":"2026-12-07T10:00:00Z"}"#, "since", "must not be after until (2026-12-07T10:00:00.000Z)"),
        (#"{"event_ids":[]}"#, "event_ids", "must hold 1 to 1000 event ids, got 0"),
        (#"{"event_ids":["a",7]}"#, "event_ids[1]", "must be an event id (a non-empty string), got integer"),
        (#"{"routing_key":"request.assigned","everything":true}"#, "everything", "is not a known field"),
    ])
    func resendNamesTheFieldAndNeverTakesEverythingByOmission(_ args: String, _ field: String, _ problem: String) {
        #expect(problems(#"{"command":"events.resend","args":"# + args + "}") == [FieldProblem(field: field, problem: problem)])
    }

    @Test func resendingEverythingIsSaidWithAllAlone() {
        #expect(Command.parse(Array(#"{"command":"events.resend","args":{"all":true}}"#.utf8)) == .success(.eventsResend(.all)))
        #expect(Command.parse(Array(#"{"command":"events.resend","args":{"event_ids":["a","b"]}}"#.utf8))
            == .success(.eventsResend(ResendSelection(eventIds: ["a", "b"]))))
    }

    @Test(arguments: [
        (#""max_wait_seconds":86401"#, "max_wait_seconds", "must be between 0 and 86400"),
        (#""sticky_seconds":-1"#, "sticky_seconds", "must be between 0 and 2592000"),
        (#""overflow":"yes""#, "overflow", "must be true or false, got string"),
    ])
    func sourceRoutingSettingsValidation(_ arg: String, _ field: String, _ problem: String) {
        #expect(problems(#"{"command":"source.update","args":{"id":1,"# + arg + "}}") == [FieldProblem(field: field, problem: problem)])
        #expect(problems(#"{"command":"source.create","args":{"name":"A","identifier":"a","# + arg + "}}")
            == [FieldProblem(field: field, problem: problem)])
    }

    @Test(arguments: [
        (#"{"id":1,"presence":"lunch"}"#, "presence", "must be one of available, away, offline"),
        (#"{"id":1}"#, "presence", "is required"),
        (#"{"id":1,"presence":"away","requeue":true}"#, "requeue", "is allowed only with presence offline, got away"),
        (#"{"id":1,"presence":"offline","requeue":"yes"}"#, "requeue", "must be true or false, got string"),
    ])
    func setPresenceValidationNamesTheField(_ args: String, _ field: String, _ problem: String) {
        #expect(problems(#"{"command":"operator.set_presence","args":"# + args + "}") == [FieldProblem(field: field, problem: problem)])
    }

    @Test(arguments: [
        (#"{"command":"source.update","args":{"id":1,"offer_timeout_seconds":3601}}"#, "offer_timeout_seconds"),
        (#"{"command":"source.create","args":{"name":"C","identifier":"c","offer_timeout_seconds":-1}}"#, "offer_timeout_seconds"),
        (#"{"command":"request.accept","args":{"id":1}}"#, "operator_id"),
        (#"{"command":"request.reject","args":{"id":1,"operator_id":2,"reason":""}}"#, "reason"),
        (#"{"command":"request.purge","args":{"closed_before":"last tuesday"}}"#, "closed_before"),
        (#"{"command":"request.purge","args":{}}"#, "closed_before"),
        (#"{"command":"request.purge","args":{"closed_before":"2026-08-01T00:00:00Z","dry_run":"yes"}}"#, "dry_run"),
        (#"{"command":"request.reject","args":{"id":1,"operator_id":2,"reason":"a\u0000b"}}"#, "reason"),
    ])
    func offerCommandsNameTheBadField(_ json: String, _ field: String) {
        #expect(problems(json).map(\.field) == [field])
    }

    @Test func notJSONIsABadRequest() {
        #expect(throws: CommandError(.badRequest, "the command is not valid JSON: unexpected 'n' where a key should start at byte 1")) {
            try parse("{nope").get()
        }
        guard case let .failure(error) = parse("[1,2]") else { Issue.record("array accepted"); return }
        #expect(error.code == .badRequest)
    }

    @Test func aKeyTwiceIsABadRequestNamingTheKey() {
        guard case let .failure(error) = parse(#"{"command":"operator.create","args":{"name":"a","name":"b","max_load_limit":1}}"#) else {
            Issue.record("accepted"); return
        }
        #expect(error.code == .badRequest)
        #expect(error.message.contains(#""name" appears twice"#), "\(error.message)")
    }

    @Test func textWithUPlus0000IsAValidationErrorNamingTheField() {
        guard case let .failure(error) = parse(#"{"command":"operator.create","args":{"name":"x\u0000y","max_load_limit":1}}"#) else {
            Issue.record("accepted"); return
        }
        #expect(error.code == .validationError)
        #expect(error.details == [FieldProblem(field: "name", problem: "must not contain U+0000")])
    }

    @Test func unknownCommandIsABadRequestNamingTheField() {
        guard case let .failure(error) = parse(#"{"command":"operator.fire"}"#) else { Issue.record("accepted"); return }
        #expect(error.code == .badRequest)
        #expect(error.details.map(\.field) == ["command"])
        #expect(error.message.contains("operator.fire"))
    }

    @Test func weightsErrorsNameTheirIndex() {
        let found = problems(#"{"command":"source.set_weights","args":{"source_id":0,"weights":[{"operator_id":1,"weight":101},{"operator_id":1,"weight":5},"x"]}}"#)
        #expect(found.contains(FieldProblem(field: "source_id", problem: "must be a positive integer")))
        #expect(found.contains(FieldProblem(field: "weights[0].weight", problem: "must be between 1 and 100")))
        #expect(found.contains { $0.field == "weights[1].operator_id" && $0.problem.contains("more than once") })
        #expect(found.contains { $0.field == "weights[2]" })
    }

    @Test func everyBadFieldIsNamedAtOnce() {
        let found = problems(#"{"command":"operator.create","args":{"name":"   ","max_load_limit":0,"is_active":"yes","colour":"red"}}"#)
        #expect(Set(found.map(\.field)) == ["name", "max_load_limit", "is_active", "colour"])
    }

    @Test(arguments: [
        (#"{"name":"x","identifier":"Telegram"}"#, "identifier"),
        (#"{"name":"x","identifier":"-tg"}"#, "identifier"),
        (#"{"name":"x","identifier":""}"#, "identifier"),
        (#"{"name":"","identifier":"tg"}"#, "name"),
        (#"{"identifier":"tg"}"#, "name"),
    ])
    func sourceCreateValidation(_ args: String, _ field: String) {
        let found = problems(#"{"command":"source.create","args":"# + args + "}")
        #expect(found.map(\.field) == [field])
    }

    @Test func nameLengthIsCountedInCharacters() {
        let ok = String(repeating: "Ж", count: 200)
        #expect((try? parse(#"{"command":"operator.create","args":{"name":"\#(ok)","max_load_limit":1}}"#).get()) != nil)
        let long = ok + "Ж"
        #expect(problems(#"{"command":"operator.create","args":{"name":"\#(long)","max_load_limit":1}}"#).map(\.field) == ["name"])
    }

    @Test func blankNamesAreRejectedWhateverTheWhitespace() async {
        let blank = Gen.element(of: [" ", "\t", "\n", "\u{00A0}", "\u{2003}"]).compactMap { $0 }.array(of: 0...8).map { $0.joined() }
        await propertyCheck(count: 100, input: blank) { name in
            let body = try JSONEncoder().encode(["command": JSONValue.string("operator.create"),
                                                 "args": .object(["name": .string(name), "max_load_limit": .integer(3)])])
            guard case let .failure(error) = Command.parse(Array(body)) else {
                Issue.record("blank name \(name.debugDescription) accepted")
                return
            }
            #expect(error.code == .validationError)
            #expect(error.details.map(\.field) == ["name"])
        }
    }

    @Test func limitsAreEnforcedAtTheirEdges() async {
        await propertyCheck(count: 200, input: Gen.int(in: -5...10_010)) { limit in
            let result = parse(#"{"command":"operator.create","args":{"name":"a","max_load_limit":\#(limit)}}"#)
            if (1...10_000).contains(limit) {
                #expect((try? result.get()) != nil)
            } else {
                #expect(problems(#"{"command":"operator.create","args":{"name":"a","max_load_limit":\#(limit)}}"#).map(\.field) == ["max_load_limit"])
            }
        }
    }

    @Test func identifierPatternMatchesTheContractRegex() async throws {
        let regex = try Regex("^[a-z0-9][a-z0-9_.-]{0,63}$")
        let chars = Gen.element(of: Array("az09_.-A ЖZ")).compactMap { $0 }.array(of: 0...70).map { String($0) }
        await propertyCheck(count: 500, input: chars) { text in
            #expect(Limits.isValidIdentifier(text) == (text.wholeMatch(of: regex) != nil), "\(text)")
        }
    }
}
