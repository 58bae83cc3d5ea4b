import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// SWITCHBOARD_DEDUPE_WINDOW end to end: the service forgets message ids older than the
/// window by itself, and says so in service.status.
@Suite struct DedupeWindowServiceTests {
    @Test func aRepeatWithinTheWindowIsRefusedAndTheIdIsFreeOnceTheWindowHasPassed() async throws {
        try await DedicatedThread.run {
            let prefix = uniquePrefix("dedupe-window")
            let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase(), environment: ["SWITCHBOARD_DEDUPE_WINDOW": "2s"])
            defer { _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
            #expect(try client.ok("service.status")["dedupe_window_seconds"]?.int == 2)
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 100])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 1)])])
            let message = Array(#"{"user_identifier":"u1","source":"telegram","message":"hi"}"#.utf8)
            try client.sendIntake(message, messageId: "same-id")
            try client.sendIntake(message, messageId: "same-id")
            #expect(try client.waitForCount(1, timeout: .seconds(10)) == 1)
            _ = try client.waitForStatus(timeout: .seconds(15)) { $0["counters"]?["duplicates"]?.int == 1 }
            #expect(try client.storedCount() == 1, "the repeat within the window made nothing")

            // Three commands' ids and the intake's, forgotten once two seconds have passed. A
            // round comes once a second, later on a loaded machine: poll for the age to fall.
            let status = try client.waitForStatus(timeout: .seconds(15)) {
                ($0["counters"]?["message_ids_forgotten"]?.int ?? 0) >= 4 && ($0["oldest_key_age_seconds"]?.number ?? 99) < 3
            }
            #expect(status["counters"]?["message_ids_forgotten"]?.int ?? 0 >= 4, "\(status)")
            #expect(status["oldest_key_age_seconds"]?.number ?? 99 < 3, "nothing older than the window is kept: \(status)")
            try client.sendIntake(message, messageId: "same-id")
            #expect(try client.waitForCount(2, timeout: .seconds(10)) == 2, "past the window the id is a new message")
        }
    }

    @Test func aWindowThatIsNotAPeriodStopsTheServiceNamingTheVariable() async throws {
        try await DedicatedThread.run {
            let service = try ServiceProcess(prefix: uniquePrefix("dedupe-bad"), databasePath: temporaryDatabase(),
                                             environment: ["SWITCHBOARD_DEDUPE_WINDOW": "1 week"])
            let status = service.waitForExit(timeout: .seconds(20))
            #expect(status == 78, "a setting to change: EX_CONFIG")
            #expect(service.exitMessage.contains("SWITCHBOARD_DEDUPE_WINDOW must be a whole number and a unit"), "\(service.logTail)")
        }
    }
}
