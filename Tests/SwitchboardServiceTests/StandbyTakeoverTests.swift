import AMQP
import BrokerTestSupport
import Foundation
import Postgres
import SwitchboardClient
import SwitchboardCore
import Testing

/// Instances on one prefix and one PostgreSQL database, on the three-node cluster, each
/// fault in the middle of 10,000 requests (ClusterScenario): one writes at a time, and a
/// standby takes over with nothing lost or doubled. Run by `make test` in a pass of their
/// own (SWITCHBOARD_TEST_HA=1): one of them restarts the PostgreSQL server, which other
/// suites share.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_HA"] == "1" && Cluster.isRunning
                                 && LocalPostgres.isRunning, "SWITCHBOARD_TEST_HA=1, the cluster and PostgreSQL"))
struct StandbyTakeoverTests {
    @Test func killingTheActiveInstanceTwiceMidStreamHandsOverWithNothingLostOrDoubled() async throws {
        try await Self.onPostgres("ha-kill") { scenario, database in
            let standbys = try (0..<2).map { _ in try Self.standby(for: scenario, database: database) }
            defer { standbys.forEach { _ = $0.terminate(timeout: .seconds(10)) } }
            var alive = [scenario.service] + standbys
            var storedAtKill = 0
            let sent = try scenario.stream(faultsAt: [3_000, 6_000]) { _ in
                let active = try #require(Self.waitForActive(alive), "no instance active")
                // Each writer writes something before it dies, so that every epoch shows.
                _ = try scenario.client.waitForCount(storedAtKill + 1, timeout: .seconds(30))
                storedAtKill = try scenario.client.storedCount()
                active.kill9()
                alive.removeAll { $0 === active }
            }
            #expect(sent, "every chunk confirmed")
            #expect(Self.waitForActive(alive) != nil, "the last standby took over")
            try scenario.expectEverythingOnce()
            try Self.expectEpochsNeverInterleaved(database, writers: 3)
        }
    }

    @Test func aStoppedActiveInstanceKeepsTheLockUntilItsSessionIsEndedThenAStandbyTakesOver() async throws {
        try await Self.onPostgres("ha-stop") { scenario, database in
            let standby = try Self.standby(for: scenario, database: database)
            defer { _ = standby.terminate(timeout: .seconds(10)) }
            let admin = try PostgresConnection(url: database)
            var epochWhileStopped = ""
            let sent = try scenario.stream { [service = scenario.service] in
                kill(service.process.processIdentifier, SIGSTOP)
                defer { kill(service.process.processIdentifier, SIGCONT) }
                // Stopped for less than the hung limit: its session still holds the lock.
                Thread.sleep(forTimeInterval: 2)  // the stop's length is the test's subject, not a wait for an event
                epochWhileStopped = try admin.execute("SELECT max(epoch) FROM writer_epochs").scalar ?? ""
                // Past the limit, the standby ends its session and takes the database.
                // Its consuming waits for the broker's lock, which the stopped one still holds.
                #expect(throws: Never.self) {
                    try eventually(within: .seconds(10), "the standby takes the database (writer epoch 2)") { seen -> Bool? in
                        let epoch = try admin.execute("SELECT max(epoch) FROM writer_epochs").scalar
                        seen = epoch ?? "none"
                        return epoch == "2" ? true : nil
                    }
                }
                Thread.sleep(forTimeInterval: 6)  // the rest of the 10 s stop
            }
            #expect(sent, "every chunk confirmed")
            #expect(epochWhileStopped == "1", "no second writer while the stopped one held its session")
            // The resumed instance found its session ended, and stands by behind the new writer.
            #expect(throws: Never.self) { try scenario.service.waitForRole("standby", timeout: .seconds(30)) }
            #expect(Self.waitForActive([standby]) != nil)
            try scenario.expectEverythingOnce()
            try Self.expectEpochsNeverInterleaved(database, writers: 2)
        }
    }

    @Test func restartingPostgresMidStreamLosesNothing() async throws {
        try await Self.onPostgres("ha-restart") { scenario, database in
            let sent = try scenario.stream {
                // Through system(3), as Cluster's scripts: Foundation's Process never saw a
                // script end once it had started a server in the background.
                let log = ScratchFolder.make("postgres").appendingPathComponent("restart.log").path
                let status = system("\(repositoryRoot.appendingPathComponent("scripts/postgres").path) restart > \(log) 2>&1 < /dev/null")
                #expect(status == 0, "scripts/postgres restart: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            #expect(sent, "every chunk confirmed")
            // It lost its session with the server and wrote again through a new one: a new epoch.
            #expect(throws: Never.self) {
                try eventually(within: .seconds(30), "a second writer epoch after the restart") { seen -> Bool? in
                    let epoch = try PostgresConnection(url: database).execute("SELECT max(epoch) FROM writer_epochs").scalar
                    seen = epoch ?? "none"
                    return epoch == "2" ? true : nil
                }
            }
            #expect(throws: Never.self) { try scenario.service.waitForRole("active", timeout: .seconds(30)) }
            try scenario.expectEverythingOnce()
        }
    }

    /// A cluster scenario on a fresh PostgreSQL database, finished when `body` returns.
    static func onPostgres(_ label: String, _ body: @escaping @Sendable (ClusterScenario, String) throws -> Void) async throws {
        try await DedicatedThread.run {
            let database = try LocalPostgres.freshDatabase(label.replacingOccurrences(of: "-", with: "_"))
            let scenario = try ClusterScenario(label: label, database: database)
            defer { scenario.finish() }
            try body(scenario, database)
        }
    }

    /// Another instance on the scenario's prefix and database, once its readiness probe says
    /// it stands by.
    static func standby(for scenario: ClusterScenario, database: String) throws -> ServiceProcess {
        let process = try ServiceProcess(prefix: scenario.prefix, databasePath: database,
                                         environment: ["SWITCHBOARD_AMQP_URL": Cluster.brokers.unredacted])
        try process.waitForRole("standby", timeout: .seconds(30))
        return process
    }

    /// The instance that is ready (consuming), polled for up to 15 s.
    static func waitForActive(_ processes: [ServiceProcess]) -> ServiceProcess? {
        try? eventually(within: .seconds(15), "an instance answers /readyz 200") { _ in
            processes.first { (try? $0.readiness().status) == 200 }
        }
    }

    /// Requests in id order never go back to an earlier writer epoch, and `writers` epochs wrote.
    static func expectEpochsNeverInterleaved(_ database: String, writers: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let connection = try PostgresConnection(url: database)
        let backwards = try connection.execute("""
            SELECT count(*) FROM (SELECT writer_epoch, lag(writer_epoch) OVER (ORDER BY id) AS before FROM requests) AS ordered
            WHERE writer_epoch < before
            """).scalar
        #expect(backwards == "0", "a request written by an earlier writer after a later one's", sourceLocation: sourceLocation)
        let epochs = try connection.execute("SELECT count(DISTINCT writer_epoch) FROM requests").scalar
        #expect(epochs == "\(writers)", "writers that created requests", sourceLocation: sourceLocation)
    }
}
