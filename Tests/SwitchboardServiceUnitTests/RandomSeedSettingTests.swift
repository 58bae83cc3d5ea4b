import SwitchboardService
import Testing

/// SWITCHBOARD_RANDOM_SEED as the service reads it at start.
@Suite struct RandomSeedSettingTests {
    static func read(_ value: String?) throws(ConfigurationError) -> UInt64? {
        var environment: [String: String] = [:]
        environment[ConfigurationVariable.randomSeed.name] = value
        return try SwitchboardServiceConfiguration.fromEnvironment(environment).randomSeed
    }

    @Test func unsetThereIsNoSeedAndAnyUnsignedSixtyFourBitNumberIsOne() throws {
        #expect(try Self.read(nil) == nil, "production: a new seed from the system each start")
        #expect(try Self.read("0") == 0)
        #expect(try Self.read("18446744073709551615") == UInt64.max)
    }

    @Test(arguments: ["-1", "18446744073709551616", "1.5", "seed", " 7"])
    func aBadValueNamesTheVariableAndTheRange(_ value: String) {
        do {
            _ = try Self.read(value)
            Issue.record("\(value) was accepted")
        } catch {
            #expect(error.variable == .randomSeed)
            #expect(error.description.contains("SWITCHBOARD_RANDOM_SEED must be a whole number from 0 to 18446744073709551615"))
        }
    }
}
