import SwitchboardService
import Testing

/// SWITCHBOARD_EVENT_RETRY_FOR as the service reads it at start.
@Suite struct EventRetryForSettingTests {
    static func read(_ value: String?) throws(ConfigurationError) -> Duration {
        var environment: [String: String] = [:]
        environment[ConfigurationVariable.eventRetryFor.name] = value
        return try SwitchboardServiceConfiguration.fromEnvironment(environment).eventRetryFor
    }

    @Test func unsetItIsFifteenMinutesAndItTakesSecondsMinutesHoursOrZero() throws {
        #expect(try Self.read(nil) == .seconds(900))
        #expect(try Self.read("90s") == .seconds(90))
        #expect(try Self.read("2h") == .seconds(7_200))
        #expect(try Self.read("0") == .zero, "0: set aside at the first refusal")
    }

    @Test(arguments: ["2d", "15", "-5m", "0s", "soon"])
    func aBadValueNamesTheVariableAndAWayOn(_ value: String) {
        #expect(throws: ConfigurationError.self) { try Self.read(value) }
        do {
            _ = try Self.read(value)
        } catch {
            #expect(error.variable == .eventRetryFor)
            #expect(error.description.contains("SWITCHBOARD_EVENT_RETRY_FOR must be 0 or a whole number and a unit"))
        }
    }
}
