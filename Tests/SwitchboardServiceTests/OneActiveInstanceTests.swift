import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import SwitchboardStore
import Testing

@Suite(.serialized) struct OneActiveInstanceTests {
    /// The active instance, a second on its database and a third on another database, all on
    /// one prefix: one consumes, one stands by, one is refused; kill -9 of the active one
    /// hands over to the standby with nothing lost or doubled.
    @Test func threeInstancesOnOnePrefixNeverSplitIt() async throws {
        let prefix = uniquePrefix("three")
        let database = temporaryDatabase(), otherDatabase = temporaryDatabase()
        let topology = Topology(prefix: prefix)
        try await DedicatedThread.run {
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close() }
            let active = try ServiceProcess(prefix: prefix, databasePath: database)
            try #require(try client.waitUntilAnswering(timeout: .seconds(30)), "\(active.output)")
            let storeId = try #require(try client.ok("service.status")["store_id"]?.string)
            #expect(try client.ok("service.status")["role"]?.string == "active")
            for name in ["A", "B", "C"] { try client.ok("operator.create", ["name": .string(name), "max_load_limit": 50]) }
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10), (3, 10)])])

            let standby = try ServiceProcess(prefix: prefix, databasePath: database)
            try standby.waitForRole("standby", timeout: .seconds(20))
            let intruder = try ServiceProcess(prefix: prefix, databasePath: otherDatabase)
            let intruderExit = intruder.waitForExit(timeout: .seconds(30))
            #expect(intruderExit == 78, "an instance on another database exits as for a setting to change (EX_CONFIG)")
            #expect(intruder.exitMessage.contains(storeId) && intruder.exitMessage.contains("switchboardctl prefix release"), "exit message: \(intruder.exitMessage)\nlog: \(intruder.logTail)")

            try client.sendIntake(intakeBatch(0..<600, label: "a"))
            // Sampled while the stream is processed, and at least once (one rabbitmqctl call takes about a second).
            // A listing can leave out a queue's consumers, never add one, so the samples bound
            // the most from below; the settled listing after them shows each queue's one.
            let queues = [topology.requests, topology.control]
            var mostConsumers = 0
            let deadline = ContinuousClock.now + .seconds(60)
            repeat {
                mostConsumers = max(mostConsumers, try listedConsumerCounts(queues).values.max() ?? 0)
            } while try client.storedCount() < 600 && ContinuousClock.now < deadline
            #expect(try client.storedCount() == 600)
            #expect(mostConsumers <= 1, "never two consumers on one queue: \(mostConsumers)")
            let consumersBefore = try consumerCountsOnceEveryQueueIsListed(queues, timeout: .seconds(30))
            #expect(consumersBefore == [topology.requests: 1, topology.control: 1], "the active one alone consumes: \(consumersBefore)")
            let loads = try client.ok("operator.list").array.compactMap { $0["current_load"]?.int }
            #expect(loads == [50, 50, 50], "capacity holds: one view of it")
            #expect(try client.allRequests(status: "assigned").count == 150)

            // The active one dies; the standby on the same database takes over.
            active.kill9()
            try client.sendIntake(intakeBatch(300..<1_000, label: "a"))  // 300 repeats, 400 new
            try standby.waitForRole("active", timeout: .seconds(30))
            #expect(try client.waitForCount(1_000, timeout: .seconds(60)) == 1_000)
            #expect(try client.storedCount() == 1_000, "nothing doubled")
            #expect(try client.ok("service.status")["store_id"]?.string == storeId)
            let consumersAfter = try consumerCountsOnceEveryQueueIsListed(queues, timeout: .seconds(30))
            #expect(consumersAfter == [topology.requests: 1, topology.control: 1], "the new active one alone consumes: \(consumersAfter)")
            let dead = try AMQPConnection(url: brokerURL)
            defer { dead.close() }
            try dead.openChannel()
            #expect(try dead.get(queue: topology.deadQueue) == nil, "nothing dead-lettered")

            // Releasing the prefix is refused while an instance is active, then lets another database claim it.
            #expect(try ctl(["prefix", "release"], prefix: prefix).status == 1)
            #expect(standby.terminate(timeout: .seconds(15)) == 0)
            let release = try ctl(["prefix", "release"], prefix: prefix)
            #expect(release.status == 0, "\(release.stderr)")
            let claimant = try ServiceProcess(prefix: prefix, databasePath: otherDatabase)
            #expect(try client.waitUntilAnswering(timeout: .seconds(30)), "\(claimant.output)")
            #expect(try client.ok("service.status")["store_id"]?.string != storeId)
            #expect(claimant.terminate(timeout: .seconds(15)) == 0)
        }
        try await deleteTopology(prefix)
    }

    /// Queues declared by an earlier version, without single active consumer, are used as they
    /// are; the lock queue still keeps them to one consumer.
    @Test func queuesFromAnEarlierVersionAreUsedAsTheyAre() async throws {
        let prefix = uniquePrefix("legacy")
        let topology = Topology(prefix: prefix)
        try await DedicatedThread.run {
            let connection = try AMQPConnection(url: brokerURL)
            defer { connection.close() }
            try connection.openChannel()
            let old: AMQPTable = ["x-queue-type": "quorum", "x-dead-letter-exchange": .string(topology.dead), "x-delivery-limit": 5]
            for queue in [topology.requests, topology.control] { try connection.declareQueue(queue, arguments: old) }
        }
        let running = await RunningService(label: "legacy", prefix: prefix)
        try await withClient(prefix) { client, watcher in
            try client.ok("operator.create", ["name": "A", "max_load_limit": 5])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            try client.intake(user: "u", source: "telegram", messageId: "legacy-1")
            #expect(try #require(watcher).next(timeout: .seconds(10))?.properties.correlationId == "legacy-1")
        }
        try await running.finish()
    }
}
