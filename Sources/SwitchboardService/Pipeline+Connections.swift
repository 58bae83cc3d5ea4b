import AMQP
import Logging
import SwitchboardCore
import SwitchboardStore

/// The writer's connections: opening them, claiming the prefix, the active lock, keeping
/// them alive while nothing is read, and closing them.
extension Pipeline {
    /// Opens both broker connections on one node, claims the prefix for this database,
    /// declares the topology and takes the active lock. nil: asked to stop while standing by.
    func connectAndBecomeActive() throws -> (consumer: AMQPConnection, publisher: AMQPConnection)? {
        // Able to write before taking any delivery: a full or read-only disk shows here,
        // with nothing consumed that would go back to the broker and count against the
        // delivery limit.
        try store.probeWrite()
        let options = { (name: String) in
            var options = AMQPConnection.Options(connectionName: name, heartbeatSeconds: self.configuration.heartbeatSeconds)
            options.connectTimeoutSeconds = 5
            return options
        }
        let publisher = try AMQPConnection.open(to: configuration.brokers, options: options("switchboard publisher"))
        logger.info("connected", metadata: ["broker": "\(publisher.url)"])
        self.publisher = publisher
        try publisher.openChannel(Self.eventsChannel)
        try publisher.enableConfirms(channel: Self.eventsChannel)
        try publisher.openChannel(Self.repliesChannel)
        if let owner = try topology.claim(for: store.storeId, on: publisher) {
            throw PrefixRefusal(prefix: topology.prefix, owner: owner, ours: store.storeId, database: "\(configuration.storeLocation)")
        }
        let legacyQueues = try topology.declare(on: publisher, queueType: configuration.queueType)
        if !legacyQueues.isEmpty {
            logger.warning("queues made by an earlier version have no single active consumer; the active lock alone keeps them to one instance (docs/operations.md: Upgrading)", metadata: [
                "queues": "\(legacyQueues.joined(separator: ", "))",
            ])
        }

        // Both connections on one node: a node that fails then fails them together.
        let consumer = try AMQPConnection(url: publisher.url, options: options("switchboard consumer"))
        self.consumer = consumer
        try consumer.openChannel()
        guard try becomeActive(consumer: consumer, publisher: publisher) else { return nil }
        return (consumer, publisher)
    }

    /// Takes the active lock, standing by while another instance holds it (the broker drops
    /// the lock with its holder's connection). Returns false when asked to stop meanwhile.
    private func becomeActive(consumer: AMQPConnection, publisher: AMQPConnection) throws -> Bool {
        for attempt in 0... {
            guard !control.isStopRequested else { return false }
            if try takeActiveLock(consumer) {
                if attempt > 0 { logger.notice("taking over: the active instance went away", metadata: ["prefix": "\(topology.prefix)"]) }
                return true
            }
            if attempt == 0 {
                logger.notice("standing by: another instance consumes \(topology.requests)")
                control.health.set(.standby("another instance consumes \(topology.requests)"))
            }
            control.sleep(.milliseconds(250))
            try store.keepAlive()
            try publisher.pump()
            try consumer.openChannel()
        }
        return false
    }

    /// Declares the exclusive lock queue; false when another connection holds it (405 RESOURCE_LOCKED).
    private func takeActiveLock(_ consumer: AMQPConnection) throws(AMQPError) -> Bool {
        do {
            try consumer.declareQueue(topology.activeLock, durable: false, exclusive: true, autoDelete: true)
            return true
        } catch {
            guard case let .channelClosed(code, _, _) = error, code == 405 else { throw error }
            return false
        }
    }

    /// Stops consuming at once: closing the connections hands every unacked delivery back
    /// to the broker, for whichever instance writes next.
    func lostStore(_ error: any Error) -> End {
        logger.error("lost the database session, and the writer's lock with it: stopped consuming", metadata: ["error": "\(error)"])
        control.health.set(.databaseUnavailable(StoreFailure(error).description))
        closeConnections()
        return .lostStore
    }

    /// Waits, touching the store's session and sending heartbeats on whichever broker
    /// connections are open (none while reconnecting), but reading no delivery.
    func keepConnectionsAlive(for pause: Duration) throws {
        let until = ContinuousClock.now + pause
        while !control.isStopRequested, ContinuousClock.now < until {
            try store.keepAlive()
            try publisher?.pump()
            try consumer?.sendHeartbeat()
            control.sleep(min(until - .now, .seconds(1)))
        }
    }

    /// While a broker alarm blocks publishing, events and replies wait: operators must see why.
    func noteBrokerBlocking() {
        let blocked = publisher?.isBlockedByBroker ?? false
        guard blocked != blockedByBroker else { return }
        blockedByBroker = blocked
        if blocked {
            logger.warning("the broker blocks publishing (a memory or disk alarm): events and replies wait until it lifts")
        } else {
            logger.notice("the broker unblocked publishing")
        }
    }

    func closeConnections() {
        // Its deliveries go back to the broker and its events stay in the outbox, to be
        // published again on reconnect. Its HTTP calls are committed: they get their answers.
        if let batch = inFlight { answerCalls(batch.owed) }
        inbox.close(because: control.isStopRequested ? "the service is stopping" : "the writer lost the broker or the database; it reconnects")
        inFlight = nil
        consumer?.close()
        publisher?.close()
        consumer = nil
        publisher = nil
    }
}

/// The prefix is bound to another database: this instance must not take it over. Not a
/// passing fault, so the service exits instead of reconnecting.
struct PrefixRefusal: Error, CustomStringConvertible {
    var prefix: String
    var owner: String
    var ours: String
    var database: String

    var description: String {
        """
        refused: prefix '\(prefix)' belongs to the database with store_id \(owner), but \(database) has store_id \(ours). \
        Ways on: run with the database the prefix belongs to; or choose another SWITCHBOARD_PREFIX; or, if that database \
        is gone for good, stop every instance on this prefix, run `switchboardctl prefix release --prefix \(prefix)`, and start again.
        """
    }
}

/// No broker node took the connection: what readiness says while the writer tries again.
/// A passing fault as often as a wrong setting, so the service keeps trying and says both.
struct BrokerUnreachable: CustomStringConvertible {
    var brokers: AMQPBrokers
    var error: any Error

    var description: String {
        "\(error), broker \(brokers) (SWITCHBOARD_AMQP_URL); trying again. "
            + "Check that RabbitMQ runs there (scripts/broker start for a local one), or set SWITCHBOARD_AMQP_URL to its address"
    }
}
