import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import SwitchboardStore
import Testing

/// Closed requests archived, then deleted, by the running service: SWITCHBOARD_RETAIN_CLOSED
/// through kill -9, and `switchboardctl request purge`.
@Suite struct RetentionServiceTests {
    /// A database with `closed` requests closed now and `open` ones still assigned, made
    /// before any service runs on it. Returns the ids of each kind.
    private func history(_ database: String, closed: Int, open: Int) throws -> (closed: Set<Int64>, open: [Int64]) {
        let store = try SwitchboardStore(location: StoreLocation(database), archiveDirectory: TestDatabase.archiveDirectory(for: database))
        _ = try store.execute(.operatorCreate(name: "Ann", maxLoadLimit: 10_000, isActive: true))
        _ = try store.execute(.sourceCreate(name: "Telegram", identifier: "telegram"))
        _ = try store.execute(.sourceSetWeights(sourceId: 1, weights: [Weight(operatorId: 1, weight: 1)]))
        var ids: [Int64] = []
        // In chunks closed as they go: Ann's limit holds far fewer than the history.
        for chunk in stride(from: 0, to: closed + open, by: 500) {
            let items = (chunk..<min(chunk + 500, closed + open)).map {
                WorkItem.intake(IntakeMessage(userIdentifier: "user\($0 % 50)", source: .identifier("telegram"), message: "m\($0)"),
                                messageId: "m\($0)")
            }
            var made: [Int64] = []
            for result in try store.apply(items).results {
                guard case let .intake(.assigned(id, _)) = result else { throw StartFailure(log: "not assigned: \(result)") }
                made.append(id)
            }
            ids += made
            // A new database numbers requests from 1: the first `closed` are the ones to close.
            _ = try store.apply(made.filter { $0 <= Int64(closed) }.map { .command(.requestClose(id: $0)) })
        }
        return (Set(ids[..<closed]), Array(ids[closed...]))
    }

    private func archivedIds(_ database: String) throws -> [Int64] {
        try ArchiveReader.lines(in: archiveDirectory(of: database)).map {
            try JSONDecoder().decode(ArchivedRequest.self, from: Data($0.text.utf8)).detail.request.id
        }
    }

    @Test func killedThreeTimesWhileArchivingItArchivesEveryClosedRequestOnceAndDeletesOnlyThose() async throws {
        try await DedicatedThread.run {
            let prefix = uniquePrefix("retention-kill9")
            let database = temporaryDatabase()
            let (closed, open) = try history(database, closed: 20_000, open: 5)
            defer { try? deleteTopologyNow(prefix) }
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            let environment = ["SWITCHBOARD_RETAIN_CLOSED": "1s"]
            var purged = 0
            // Each time, killed as soon as it has purged more: mid-way through its rounds.
            for _ in 0..<3 {
                let service = try ServiceProcess(prefix: prefix, databasePath: database, environment: environment)
                guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
                let before = purged
                let status = try client.waitForStatus(timeout: .seconds(30)) { ($0["requests_purged"]?.int ?? 0) > Int64(before) }
                purged = status["requests_purged"]?.int.map(Int.init) ?? purged
                service.kill9()
            }
            #expect(purged < closed.count, "killed before it was done: \(purged)")
            let service = try ServiceProcess(prefix: prefix, databasePath: database, environment: environment)
            defer { _ = service.terminate(timeout: .seconds(10)) }
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
            let status = try client.waitForStatus(timeout: .seconds(90)) { $0["requests_purged"]?.int == Int64(closed.count) }
            #expect(status["requests_purged"]?.int == Int64(closed.count), "\(status)")
            #expect(status["retain_closed_seconds"]?.int == 1)

            let archived = try archivedIds(database)
            #expect(archived.count == closed.count, "no line twice")
            #expect(Set(archived) == closed, "every closed request archived, nothing else")
            for id in open { #expect(try client.ok("request.get", ["id": .integer(id)])["status"]?.string == "assigned") }
            let bySource = try client.ok("stats.requests_distribution")["by_source"]?.array.first?["request_count"]?.int
            #expect(bySource == Int64(open.count), "the distribution counts what is stored")
            #expect(try client.ok("stats.operators_load")["operators"]?.array.first?["current_load"]?.int == Int64(open.count))
        }
    }

    @Test func switchboardctlPurgesInBatchesUntilNoneRemainAndADryRunChangesNothing() async throws {
        try await DedicatedThread.run {
            let prefix = uniquePrefix("retention-ctl")
            let database = temporaryDatabase()
            let (closed, open) = try history(database, closed: 2_500, open: 2)
            defer { try? deleteTopologyNow(prefix) }
            let service = try ServiceProcess(prefix: prefix, databasePath: database)
            defer { _ = service.terminate(timeout: .seconds(10)) }
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }

            let preview = try ctl(["request", "purge", "--closed-before", "2100-01-01", "--dry-run", "--json"], prefix: prefix)
            #expect(preview.status == 0, "\(preview.stderr)")
            #expect(preview.json?["purged"]?.int == Int64(closed.count) && preview.json?["dry_run"] == .bool(true))
            #expect(try archivedIds(database).isEmpty, "a dry run writes nothing")

            let run = try ctl(["request", "purge", "--closed-before", "2100-01-01", "--json"], prefix: prefix)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.json?["archived"]?.int == Int64(closed.count) && run.json?["remaining"]?.int == 0, "\(run.stdout)")
            #expect(Set(try archivedIds(database)) == closed)
            #expect(try client.ok("request.list", ["limit": 1_000]).array.count == open.count, "the open requests alone remain")
            // Two commands (2,000, then 500), each in the audit trail.
            let audited = try client.ok("audit.list", ["command": "request.purge"]).array
            #expect(audited.filter { $0["outcome"] == "ok" }.count == 3, "the dry run and two batches: \(audited)")

            let bad = try ctl(["request", "purge", "--closed-before", "last tuesday"], prefix: prefix)
            #expect(bad.status != 0 && bad.stderr.contains("closed_before"), "\(bad.stderr)")
        }
    }
}
