import BrokerTestSupport
import Foundation

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

extension SwitchboardProcess {
    /// The executable with no setting of the machine's: only what the test gives.
    static func with(arguments: [String] = [], environment: [String: String]) throws -> SwitchboardProcess {
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        inherited.merge(environment) { $1 }
        return try SwitchboardProcess(arguments: arguments, environment: inherited)
    }
}
