import AMQP
import Logging
import SwitchboardCore
import SwitchboardStore

/// The single writer: one thread that owns the broker connections and the store, and turns
/// deliveries into durable state, events and replies, in arrival order.
///
/// A batch is everything already waiting (up to the batch size, never waiting to fill):
/// parse → one transaction → publish its events and dead letters → collect the broker's
/// confirms → reply → ack the batch with one `multiple` ack. A delivery is acked only once
/// its effects are on disk and its events with the broker, so a crash at any point loses
/// nothing: unacked deliveries come back and are deduped by message id; unsent events are
/// published again from the outbox on start.
///
/// Two batches overlap: a delivery that is waiting, or that arrives before the broker has
/// confirmed the batch before, is committed while the broker confirms (its fsync beside
/// ours), and only then are that batch's confirms collected, its replies sent and its
/// deliveries acked. Waiting for whichever comes first keeps the confirm round trip (0.6 ms
/// on a slow disk, switchboard-bench --only latency) off the next message's path, so a
/// message that arrives meanwhile waits for nothing.
///
/// Its jobs live one a file: connections (Pipeline+Connections), batches
/// (Pipeline+Batches), replies and status (Pipeline+Replies), housekeeping between batches
/// (Pipeline+Housekeeping). What depends on time or counts is decided by the values in
/// Decisions/, which take the time and return what to do.
final class Pipeline {
    let configuration: SwitchboardServiceConfiguration
    let topology: Topology
    let store: SwitchboardStore
    let control: PipelineControl
    let metrics: ServiceMetrics
    let figures: WriterMetrics
    let feed: EventFeed
    /// Calls from the HTTP API, taken into batches beside the broker's deliveries.
    let inbox: WriterInbox
    /// `replay.run`, beside the writer.
    let replays: ReplayRunner
    let logger: Logger
    let startedAt = ContinuousClock.now

    var consumer: AMQPConnection?
    var publisher: AMQPConnection?
    /// What to settle in the outbox with the next transaction, refused events' schedules among it.
    var retries: EventRetries
    /// When to read refused events from the store and publish them again.
    var retryRounds = RetryRounds(earliestDue: nil)
    var refusalWarnings = RefusalWarnings()
    /// Whether the broker said it blocks our publishing (a memory or disk alarm), as last logged.
    var blockedByBroker = false
    /// The committed batch whose events are with the broker, confirms not yet collected.
    var inFlight: InFlight?
    var forgetting = MessageIdForgetting(startingAt: .now)
    var retention = RetentionRounds(startingAt: .now)

    static let intakeTag = "switchboard-intake"
    static let controlTag = "switchboard-control"
    static let eventsChannel: UInt16 = 1
    static let repliesChannel: UInt16 = 2
    /// How long a batch's confirms are waited for beside the next delivery before the writer
    /// waits for them alone.
    static let confirmOverlap = Duration.milliseconds(100)

    init(configuration: SwitchboardServiceConfiguration, store: SwitchboardStore, control: PipelineControl, metrics: ServiceMetrics,
         figures: WriterMetrics, feed: EventFeed, inbox: WriterInbox, logger: Logger) {
        self.configuration = configuration
        self.topology = Topology(prefix: configuration.prefix)
        self.store = store
        self.control = control
        self.metrics = metrics
        self.figures = figures
        self.feed = feed
        self.inbox = inbox
        self.replays = ReplayRunner(location: configuration.storeLocation, archiveDirectory: configuration.archiveDirectory,
                                    worker: configuration.replayWorkerExecutable, awayAfterMissed: configuration.awayAfterMissed,
                                    serviceSeed: configuration.randomSeed, inbox: inbox)
        self.logger = logger
        self.retries = EventRetries(retryFor: configuration.eventRetryFor)
    }

    /// How ``run()`` ended.
    enum End {
        case stopped
        /// Gave up, and why: the service exits.
        case failed(ServiceFailure)
        /// The store's database session is gone, and the writer's lock with it: consuming
        /// stopped, and the store must be opened again.
        case lostStore
    }

    /// Serves until asked to stop, reconnecting after any broker or database failure with
    /// capped exponential backoff and jitter.
    func run() -> End {
        var backoff = ReconnectBackoff(cap: configuration.maxReconnectDelay)
        while !control.isStopRequested {
            do {
                try serve(onReady: { backoff.succeeded() })
            } catch let refusal as PrefixRefusal {
                logger.critical("\(refusal)")
                closeConnections()
                return .failed(ServiceFailure(refusal.description, kind: .configuration))
            } catch where SwitchboardStore.isSessionLost(error) {
                return lostStore(error)
            } catch {
                if let misuse = error as? AMQPError, case .usage = misuse {
                    // A mistake in this program: reconnecting would repeat it, so stop and say so.
                    logger.critical("stopping on a programming error", metadata: ["error": "\(misuse)"])
                    closeConnections()
                    return .failed(ServiceFailure(misuse.description, kind: .software))
                }
                metrics.add(.reconnects)
                let delay = backoff.failed()
                let phase: ServicePhase = error is AMQPError
                    ? .brokerUnavailable(BrokerUnreachable(brokers: configuration.brokers, error: error).description)
                    : .databaseUnavailable(StoreFailure(error).description)
                control.health.set(phase)
                logger.warning("broker or database failure; reconnecting", metadata: [
                    "error": "\(error)", "attempt": "\(backoff.failures)", "retry_in_ms": "\(delay.milliseconds)",
                    "broker": "\(configuration.brokers)",
                ])
                closeConnections()
                do {
                    try keepConnectionsAlive(for: delay)
                } catch {
                    return lostStore(error)
                }
            }
        }
        closeConnections()
        logger.info("stopped")
        return .stopped
    }

    private func serve(onReady: () -> Void) throws {
        guard let (consumer, publisher) = try connectAndBecomeActive() else { return }
        retries = EventRetries(retryFor: configuration.eventRetryFor)
        retryRounds = RetryRounds(earliestDue: try store.nextRetryDue())
        try publishOutbox()
        try consumer.setPrefetch(UInt16(clamping: configuration.prefetch))
        try consumer.consume(queue: topology.requests, consumerTag: Self.intakeTag)
        try consumer.consume(queue: topology.control, consumerTag: Self.controlTag)
        onReady()
        inbox.open()
        control.markReady()
        control.health.set(.active)
        logger.info("ready", metadata: [
            "role": "active", "broker": "\(publisher.url)", "prefix": "\(configuration.prefix)", "store_id": "\(store.storeId)",
            "queue_type": "\(configuration.queueType.rawValue)", "batch_size": "\(configuration.batchSize)",
        ])

        var batch: [AMQPDelivery] = []
        batch.reserveCapacity(configuration.batchSize)
        while !control.isStopRequested {
            try deliverAnsweredAside(on: publisher)
            try retryRefusedEvents()
            try forgetExpiredMessageIds()
            try applyRetention()
            // A checkpoint is due: run it now if nothing is waiting, else after the next batch.
            let checkpointDue = Checkpoints.dueWhenIdle(commitsSince: store.commitsSinceCheckpoint)
            let deadline = try store.nextDeadline()
            let now = ContinuousClock.now
            let wallClock = Timestamp.now()
            let wake = NextWake(
                NextWake.Schedules(nextRetry: retryRounds.wake(now: now, wallClock: wallClock), forgettingDue: forgetting.isDue(at: now),
                                   retentionBehind: retention.isBehind, nextDeadline: deadline),
                now: now, wallClock: wallClock)
            // With a batch in flight nothing is waited for here: finishOrAwaitDelivery waits
            // for its confirms or the next delivery, whichever comes first.
            var calls = inbox.take(upTo: configuration.batchSize)
            let first = try nextDelivery(consumer, timeout: checkpointDue || inFlight != nil || !calls.isEmpty ? .zero : wake.wait)
            if first == nil, calls.isEmpty { calls = inbox.take(upTo: configuration.batchSize) }
            guard first != nil || !calls.isEmpty else {
                if let batch = inFlight {
                    try finishOrAwaitDelivery(batch, consumer: consumer, publisher: publisher)
                    continue
                }
                switch NextWake.idle(nextDeadline: deadline, wallClock: .now(), checkpointDue: checkpointDue) {
                case .handleDeadlines:
                    try process([])
                    metrics.add(.deadlineBatches)
                case .checkpoint: checkpoint()
                case .housekeeping: try idle()
                }
                continue
            }
            // Under sustained load nothing is ever idle: bound the log all the same.
            if Checkpoints.dueUnderLoad(commitsSince: store.commitsSinceCheckpoint) { checkpoint() }
            batch.removeAll(keepingCapacity: true)
            if let first { batch.append(first) }
            while first != nil, batch.count + calls.count < configuration.batchSize, let next = try consumer.nextDelivery(timeout: .zero) {
                batch.append(next)
            }
            try process(batch, calls: calls)
        }
        // Stopping: the batch in hand is done and acked. Unread prefetched deliveries are
        // requeued by the broker when the connection closes.
        try finishInFlight()
        try settleOutbox()
        closeConnections()
    }

    /// The next delivery, waiting up to `timeout` for it or for a call in the inbox, which
    /// ends the wait early with nothing read.
    private func nextDelivery(_ consumer: AMQPConnection, timeout: Duration) throws -> AMQPDelivery? {
        if timeout > .zero, !consumer.waitForInput(alsoWatching: inbox.wakeDescriptor, timeout: timeout).connection { return nil }
        return try consumer.nextDelivery(timeout: .zero)
    }
}
