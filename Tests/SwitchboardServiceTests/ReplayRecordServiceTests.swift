import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import SwitchboardStore
import Testing

/// What the what-if replay stands on, against the real service: the same traffic on the same
/// floor gets the same choices for a seed, and every change of presence is recorded.
@Suite(.serialized)
struct ReplayRecordServiceTests {
    /// Who got each of 60 requests on a fresh database, five operators weighted 10 to 50.
    static func choices(seed: String) throws -> [Int64] {
        let prefix = uniquePrefix("seed")
        let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase(), environment: ["SWITCHBOARD_RANDOM_SEED": seed])
        let client = ControlClient(url: brokerURL, prefix: prefix)
        defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
        guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
        for n in 1...5 { try client.ok("operator.create", ["name": .string("op\(n)"), "max_load_limit": 100]) }
        try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
        try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg((1...5).map { (Int64($0), Int64($0 * 10)) })])
        try client.sendIntake(intakeBatch(0..<60, label: "seed"))
        #expect(try client.waitForCount(60, timeout: .seconds(30)) == 60)
        return try client.allRequests().compactMap { $0["operator_id"]?.int }
    }

    @Test func theSameSeedGivesTheSameChoicesAndAnotherSeedOthers() async throws {
        try await DedicatedThread.run {
            let first = try Self.choices(seed: "20261207")
            let again = try Self.choices(seed: "20261207")
            let other = try Self.choices(seed: "7")
            #expect(first.count == 60 && Set(first).count > 1, "the draw spread them: \(first)")
            #expect(first == again)
            // Two runs of 60 draws among five agreeing by chance: about 0.24^60 (the chance two draws agree is the sum of the squared weight shares).
            #expect(first != other)
        }
    }

    @Test func presenceChangesAreRecordedAndForgottenWithTheAuditTrail() async throws {
        let database = temporaryDatabase()
        try await DedicatedThread.run {
            let prefix = uniquePrefix("presence-record")
            let service = try ServiceProcess(prefix: prefix, databasePath: database, environment: ["SWITCHBOARD_RETAIN_AUDIT": "5s"])
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 2])
            try client.ok("operator.set_presence", ["id": 1, "presence": "offline", "requeue": true])
            // Read at once, from the side: kept for five seconds before the rounds forget them.
            let reader = try StoreReader(location: StoreLocation(database))
            let recorded = try reader.presenceChanges(since: Timestamp(milliseconds: 0), until: Timestamp(milliseconds: Int64.max))
            #expect(recorded.map(\.reason) == [.created, .requeue] && recorded.last?.presence == .offline)
            let status = try client.waitForStatus(timeout: .seconds(20)) { ($0["counters"]?["presence_changes_forgotten"]?.int ?? 0) >= 2 }
            #expect(status["counters"]?["presence_changes_forgotten"]?.int == 2, "\(status)")
            #expect(try reader.presenceChanges(since: Timestamp(milliseconds: 0), until: Timestamp(milliseconds: Int64.max)).isEmpty)
        }
    }
}
