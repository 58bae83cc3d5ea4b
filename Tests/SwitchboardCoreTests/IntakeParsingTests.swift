import Testing
@testable import SwitchboardCore

func intake(_ json: String) -> Result<IntakeMessage, IntakeRejection> { IntakeMessage.parse(Array(json.utf8)) }

@Suite struct IntakeParsingTests {
    @Test func acceptsSourceIdOrIdentifier() throws {
        #expect(try intake(#"{"user_identifier":"user123@telegram","source_id":1,"message":"Здравствуйте!"}"#).get()
            == IntakeMessage(userIdentifier: "user123@telegram", source: .id(1), message: "Здравствуйте!"))
        #expect(try intake(#"{"user_identifier":"u","source":"telegram","message":"hi","extra":1}"#).get().source
            == .identifier("telegram"))
    }

    @Test(arguments: [
        ("not json", IntakeRejection.Code.invalidJSON),
        ("[]", .invalidJSON),
        (#"{"source_id":1,"message":"m"}"#, .missingField),
        (#"{"user_identifier":"u","message":"m"}"#, .missingField),
        (#"{"user_identifier":"u","source_id":1}"#, .missingField),
        (#"{"user_identifier":"  ","source_id":1,"message":"m"}"#, .invalidField),
        (#"{"user_identifier":"u","source_id":-1,"message":"m"}"#, .invalidField),
        (#"{"user_identifier":"u","source_id":"1","message":"m"}"#, .invalidField),
        (#"{"user_identifier":"u","source":"Bad Source","message":"m"}"#, .invalidField),
    ])
    func rejectsWithACode(_ body: String, _ code: IntakeRejection.Code) {
        guard case let .failure(rejection) = intake(body) else { Issue.record("accepted \(body)"); return }
        #expect(rejection.code == code, "\(body): \(rejection.reason)")
        #expect(!rejection.reason.isEmpty)
    }

    @Test func priorityIsOptionalAndDefaultsToZero() throws {
        #expect(try intake(#"{"user_identifier":"u","source_id":1,"message":"m"}"#).get().priority == 0)
        #expect(try intake(#"{"user_identifier":"u","source_id":1,"message":"m","priority":9}"#).get().priority == 9)
        #expect(try intake(#"{"user_identifier":"u","source_id":1,"message":"m","priority":null}"#).get().priority == 0)
    }

    @Test(arguments: [
        (#""priority":10"#, "priority must be between 0 and 9"),
        (#""priority":-1"#, "priority must be between 0 and 9"),
        (#""priority":1.5"#, "priority must be an integer, got number"),
        (#""priority":"9""#, "priority must be an integer, got string"),
    ])
    func aPriorityOutsideZeroToNineIsDeadLetteredNamingIt(_ field: String, _ reason: String) {
        guard case let .failure(rejection) = intake(#"{"user_identifier":"u","source_id":1,"message":"m","# + field + "}") else {
            Issue.record("accepted \(field)")
            return
        }
        #expect(rejection.code == .invalidField)
        #expect(rejection.reason == reason)
    }

    @Test func invalidUTF8IsInvalidJSON() {
        guard case let .failure(rejection) = IntakeMessage.parse([0x7B, 0xFF, 0xFE, 0x7D]) else { Issue.record("accepted"); return }
        #expect(rejection.code == .invalidJSON)
        #expect(rejection.reason.contains("UTF-8"))
    }

    @Test func textWithUPlus0000IsRefusedNamingTheField() {
        for field in ["message", "user_identifier"] {
            var fields = ["user_identifier": "u", "message": "m"]
            fields[field] = "a\\u0000b"
            let body = #"{"user_identifier":"\#(fields["user_identifier"]!)","source_id":1,"message":"\#(fields["message"]!)"}"#
            guard case let .failure(rejection) = intake(body) else { Issue.record("accepted \(body)"); continue }
            #expect(rejection.code == .invalidField)
            #expect(rejection.reason == "\(field) must not contain U+0000")
        }
    }

    @Test func aKeyTwiceIsInvalidJSONNamingTheKey() {
        guard case let .failure(rejection) = intake(#"{"user_identifier":"u","source_id":1,"message":"first","message":"second"}"#) else {
            Issue.record("accepted"); return
        }
        #expect(rejection.code == .invalidJSON)
        #expect(rejection.reason.contains(#"the key "message" appears twice"#), "\(rejection.reason)")
    }

    @Test func overLongMessageSaysSo() {
        let long = String(repeating: "я", count: 10_001)
        guard case let .failure(rejection) = intake(#"{"user_identifier":"u","source_id":1,"message":"\#(long)"}"#) else {
            Issue.record("accepted"); return
        }
        #expect(rejection.code == .fieldTooLong)
        #expect(rejection.reason.contains("message"))
    }
}
