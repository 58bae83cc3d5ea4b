import Testing
@testable import SwitchboardCore

struct CredentialsTests {
    @Test func aKeyNamesACredentialWhereverTheWordStandsInItAndInAnyCase() {
        for key in ["password", "TOKEN", "api_token", "Client_Secret", "x-Authorization-y", "ключ_passwd", "apikey", "X-API-Key"] {
            #expect(JSONValue.namesCredential(key), "\(key)")
        }
        for key in ["", "pass", "tok", "toke", "name", "operator_id", "secre", "api key"] {
            #expect(!JSONValue.namesCredential(key), "\(key)")
        }
    }

    @Test func everyURLPasswordInATextIsHiddenAndTheRestKept() {
        #expect(JSONValue.hidingURLPasswords(in: "a amqp://u:p@h/v b https://x:y@z") == "a amqp://u:***@h/v b https://x:***@z")
        #expect(JSONValue.hidingURLPasswords(in: "no url: just text") == "no url: just text")
        #expect(JSONValue.hidingURLPasswords(in: "ends with ://") == "ends with ://")
        #expect(JSONValue.hidingURLPasswords(in: "amqp://user@host") == "amqp://user@host")
    }
}
