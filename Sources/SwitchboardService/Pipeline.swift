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
final class Pipeline {
    private let configuration: SwitchboardServiceConfiguration
    private let topology: Topology
    private let store: SwitchboardStore
    private let control: PipelineControl
    private let metrics: ServiceMetrics
    private let figures: WriterMetrics
    private let feed: EventFeed
    private let logger: Logger
    private let startedAt = ContinuousClock.now

    private var consumer: AMQPConnection?
    private var publisher: AMQPConnection?
    /// Events the broker refused, waiting for another attempt, and what to settle in the
    /// outbox with the next transaction.
    private var refused = RefusedEvents()
    /// Set-aside events not yet logged: one warning a minute at most, however many there are.
    private var setAsideUnlogged: [String: Int] = [:]
    private var setAsideLoggedAt: ContinuousClock.Instant?
    /// Whether the broker said it blocks our publishing (a memory or disk alarm), as last logged.
    private var blockedByBroker = false
    /// The committed batch whose events are with the broker, confirms not yet collected.
    private var inFlight: InFlight?
    private var forgetting = MessageIdForgetting()
    private var retention = RetentionRounds()

    private static let intakeTag = "switchboard-intake"
    private static let controlTag = "switchboard-control"
    private static let eventsChannel: UInt16 = 1
    private static let repliesChannel: UInt16 = 2
    /// Commits between checkpoints. Each checkpoint also flushes the database file; every 8
    /// commits put that flush on too many messages' paths, every 64 measured best (paced
    /// p99 2–5 ms against 1.4–12 ms, switchboard-bench --only latency, four runs each).
    private static let checkpointEvery = 64
    /// How long a batch's confirms are waited for beside the next delivery before the writer
    /// waits for them alone.
    private static let confirmOverlap = Duration.milliseconds(100)

    init(configuration: SwitchboardServiceConfiguration, store: SwitchboardStore, control: PipelineControl, metrics: ServiceMetrics,
         figures: WriterMetrics, feed: EventFeed, logger: Logger) {
        self.configuration = configuration
        self.topology = Topology(prefix: configuration.prefix)
        self.store = store
        self.control = control
        self.metrics = metrics
        self.figures = figures
        self.feed = feed
        self.logger = logger
    }

    /// How ``run()`` ended.
    enum End {
        case stopped
        /// Gave up, and why: the service exits.
        case failed(String)
        /// The store's database session is gone, and the writer's lock with it: consuming
        /// stopped, and the store must be opened again.
        case lostStore
    }

    /// Serves until asked to stop, reconnecting after any broker or database failure with
    /// capped exponential backoff and jitter.
    func run() -> End {
        var failures = 0
        while !control.isStopRequested {
            do {
                try serve(onReady: { failures = 0 })
            } catch let refusal as PrefixRefusal {
                logger.critical("\(refusal)")
                closeConnections()
                return .failed(refusal.description)
            } catch where SwitchboardStore.isSessionLost(error) {
                return lostStore(error)
            } catch {
                if let misuse = error as? AMQPError, case .usage = misuse {
                    // A mistake in this program: reconnecting would repeat it, so stop and say so.
                    logger.critical("stopping on a programming error", metadata: ["error": "\(misuse)"])
                    closeConnections()
                    return .failed(misuse.description)
                }
                failures += 1
                metrics.add(.reconnects)
                figures.reconnected()
                control.health.set(error is AMQPError ? .brokerUnavailable("\(error)") : .databaseUnavailable("\(error)"))
                let delay = Backoff.delay(afterFailures: failures, cap: configuration.maxReconnectDelay)
                logger.warning("broker or database failure; reconnecting", metadata: [
                    "error": "\(error)", "attempt": "\(failures)", "retry_in_ms": "\(delay.milliseconds)",
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

    /// Stops consuming at once: closing the connections hands every unacked delivery back
    /// to the broker, for whichever instance writes next.
    private func lostStore(_ error: any Error) -> End {
        logger.error("lost the database session, and the writer's lock with it: stopped consuming", metadata: ["error": "\(error)"])
        control.health.set(.databaseUnavailable("\(error)"))
        closeConnections()
        return .lostStore
    }

    private func serve(onReady: () -> Void) throws {
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
            logger.warning("queues made by an earlier version have no single active consumer; the active lock alone keeps them to one instance (README: Upgrading)", metadata: [
                "queues": "\(legacyQueues.joined(separator: ", "))",
            ])
        }

        // Both connections on one node: a node that fails then fails them together.
        let consumer = try AMQPConnection(url: publisher.url, options: options("switchboard consumer"))
        self.consumer = consumer
        try consumer.openChannel()
        guard try becomeActive(consumer: consumer, publisher: publisher) else { return }
        refused = RefusedEvents()
        try publishOutbox()
        try consumer.setPrefetch(UInt16(clamping: configuration.prefetch))
        try consumer.consume(queue: topology.requests, consumerTag: Self.intakeTag)
        try consumer.consume(queue: topology.control, consumerTag: Self.controlTag)
        onReady()
        control.markReady()
        control.health.set(.active)
        logger.info("ready", metadata: [
            "role": "active", "broker": "\(publisher.url)", "prefix": "\(configuration.prefix)", "store_id": "\(store.storeId)",
            "queue_type": "\(configuration.queueType.rawValue)", "batch_size": "\(configuration.batchSize)",
        ])

        var batch: [AMQPDelivery] = []
        batch.reserveCapacity(configuration.batchSize)
        while !control.isStopRequested {
            try retryRefusedEvents()
            try forgetExpiredMessageIds()
            try applyRetention()
            // A checkpoint is due: run it now if nothing is waiting, else after the next batch.
            let checkpointDue = store.commitsSinceCheckpoint >= Self.checkpointEvery
            var wait = Duration.milliseconds(200)
            if let retry = refused.nextDue { wait = max(.zero, min(wait, retry - .now)) }
            if forgetting.isDue { wait = .zero }
            if retention.isBehind { wait = min(wait, .milliseconds(50)) }
            // Wait no longer than the next offer deadline: expiries are handled on time even
            // when no delivery comes.
            let deadline = try store.nextDeadline()
            if let deadline { wait = max(.zero, min(wait, .milliseconds(deadline.milliseconds - Timestamp.now().milliseconds))) }
            // With a batch in flight nothing is waited for here: finishOrAwaitDelivery waits
            // for its confirms or the next delivery, whichever comes first.
            guard let first = try consumer.nextDelivery(timeout: checkpointDue || inFlight != nil ? .zero : wait) else {
                if let batch = inFlight {
                    try finishOrAwaitDelivery(batch, consumer: consumer, publisher: publisher)
                    continue
                }
                if let deadline, deadline <= Timestamp.now() {
                    try process([])
                    metrics.add(.deadlineBatches)
                } else if checkpointDue { checkpoint() } else { try idle() }
                continue
            }
            // Under sustained load nothing is ever idle: bound the log all the same.
            if store.commitsSinceCheckpoint >= Self.checkpointEvery * 16 { checkpoint() }
            batch.removeAll(keepingCapacity: true)
            batch.append(first)
            while batch.count < configuration.batchSize, let next = try consumer.nextDelivery(timeout: .zero) {
                batch.append(next)
            }
            try process(batch)
        }
        // Stopping: the batch in hand is done and acked. Unread prefetched deliveries are
        // requeued by the broker when the connection closes.
        try finishInFlight()
        try settleOutbox()
        closeConnections()
    }

    /// Finishes the batch in flight once the broker has confirmed it, or returns as soon as the
    /// consumer has something to read, for the loop to commit the next batch meanwhile.
    /// Confirms that are slow to come (a broker alarm blocks publishing) are then waited for
    /// alone, as before, with the timeout that ends in a reconnect.
    private func finishOrAwaitDelivery(_ batch: InFlight, consumer: AMQPConnection, publisher: AMQPConnection) throws {
        while true {
            try publisher.pump()
            if publisher.unconfirmedCount(channel: Self.eventsChannel) == 0 || ContinuousClock.now - batch.sentAt > Self.confirmOverlap {
                return try finishInFlight()
            }
            if AMQPConnection.waitForInput(on: [consumer, publisher], timeout: .milliseconds(2)).contains(0) { return }
        }
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

    /// Applies a batch (empty: only the deadlines that are due) and publishes what it did:
    /// parse → apply → publish → reply and ack.
    private func process(_ batch: [AMQPDelivery]) throws {
        let parsed = batch.map { ParsedDelivery(delivery: $0, work: Self.work(for: $0)) }
        let applied = try apply(parsed.compactMap { try? $0.work.get() })
        let owed = owed(for: parsed, results: applied.results)
        try finishInFlight()
        inFlight = try send(InFlight(events: applied.events, owed: owed, ackThrough: batch.last))
    }

    /// A committed batch on its way: what it published, and what it owes once confirmed.
    private struct InFlight {
        var events: [OutboxEvent]
        var owed: Owed
        var ackThrough: AMQPDelivery?
        /// The publish sequence number of the first event.
        var firstSequence: UInt64 = 0
        var sentAt = ContinuousClock.now
    }

    /// Publishes a batch's events and dead letters without waiting for the broker's answers.
    private func send(_ batch: InFlight) throws -> InFlight {
        guard let publisher else { throw AMQPError.closed }
        var batch = batch
        batch.sentAt = .now
        for (position, event) in batch.events.enumerated() {
            let sequence = try publish(event, on: publisher)
            if position == 0 { batch.firstSequence = sequence }
        }
        for (delivery, rejection) in batch.owed.deadLetters { try deadLetter(delivery, rejection, on: publisher) }
        return batch
    }

    /// Collects the confirms of the batch in flight, then sends its replies and acks it.
    private func finishInFlight() throws {
        guard let batch = inFlight else { return }
        inFlight = nil
        refused.published(batch.events, refused: try collect(batch), now: .now)
        metrics.add(.deadLettered, batch.owed.deadLetters.count)
        for (_, rejection) in batch.owed.deadLetters { figures.deadLettered(rejection.code.rawValue) }
        // Replies go out once the effects are durable and their events with the broker.
        guard let publisher else { throw AMQPError.closed }
        for (delivery, name, answer) in batch.owed.replies { try reply(to: delivery, command: name, answer, on: publisher) }
        guard let last = batch.ackThrough else { return }
        try consumer?.ack(last.deliveryTag, multiple: true)
        metrics.add(.batches)
        noteBrokerBlocking()
    }

    /// A delivery and what it is for the store: work, or an intake message refused as it stands.
    private struct ParsedDelivery {
        var delivery: AMQPDelivery
        var work: Result<WorkItem, IntakeRejection>
    }

    private static func work(for delivery: AMQPDelivery) -> Result<WorkItem, IntakeRejection> {
        guard delivery.consumerTag == intakeTag else {
            // Even a command that does not parse goes to the store: the access rule and the
            // audit trail see it there, in the transaction that would carry its effect.
            return .success(.control(Command.read(delivery.body), messageId: delivery.properties.messageId, user: delivery.properties.userId))
        }
        return IntakeMessage.parse(delivery.body).map { .intake($0, messageId: delivery.properties.messageId) }
    }

    /// One transaction for the batch's work, held while the database cannot take it.
    private func apply(_ items: [WorkItem]) throws -> Applied {
        var started = ContinuousClock.now
        let applied = try untilWritable {
            started = .now
            return try store.apply(items, settling: refused.settlement)
        }
        figures.applied(applied.figures, items: items.count, transaction: .now - started)
        metrics.add(.assignments, applied.figures.assignmentWaits.count)
        metrics.add(.requestsEscalated, applied.figures.escalated)
        metrics.add(.assignmentWaitMilliseconds, Int(applied.figures.assignmentWaits.reduce(0, +)))
        refused.settlement = OutboxSettlement()
        return applied
    }

    /// What the committed batch owes the broker besides its events: a dead letter for each
    /// refused intake message, a reply for each command.
    private struct Owed {
        var deadLetters: [(AMQPDelivery, IntakeRejection)] = []
        var replies: [(AMQPDelivery, String?, Answer)] = []
    }

    /// Pairs each delivery with its result (the store gives one per work item, in order).
    private func owed(for parsed: [ParsedDelivery], results: [WorkResult]) -> Owed {
        var owed = Owed()
        var results = results.makeIterator()
        for entry in parsed {
            let item: WorkItem
            switch entry.work {
            case let .failure(rejection):
                owed.deadLetters.append((entry.delivery, rejection))
                continue
            case let .success(work): item = work
            }
            switch results.next() {
            case let .intake(outcome):
                switch outcome {
                case .assigned: metrics.add(.requestsAccepted); metrics.add(.requestsAssigned)
                case .offered: metrics.add(.requestsAccepted); metrics.add(.requestsOffered)
                case .waiting: metrics.add(.requestsAccepted); metrics.add(.requestsWaiting)
                case .duplicate: metrics.add(.duplicates)
                case let .rejected(rejection): owed.deadLetters.append((entry.delivery, rejection))
                }
            case let .command(outcome):
                if case let .success(.purge(summary)) = outcome, !summary.dryRun { countPurged(summary.purged) }
                owed.replies.append((entry.delivery, item.commandName, .outcome(outcome)))
            case let .repeatedCommand(reply):
                metrics.add(.duplicates)
                owed.replies.append((entry.delivery, item.commandName, .repeated(reply)))
            case nil:
                preconditionFailure("the store answered fewer results than it was given items")
            }
        }
        return owed
    }

    /// Publishes events and waits for the broker's answers (after the batch in flight);
    /// returns the positions of the events it refused.
    private func publishConfirmed(_ events: [OutboxEvent]) throws -> Set<Int> {
        try finishInFlight()
        return try collect(send(InFlight(events: events, owed: Owed())))
    }

    /// Waits for the broker's answers to a batch sent; returns the positions of the events
    /// it refused. A refused dead letter fails the batch (its delivery is not acked, so it
    /// comes back): the dead-letter queue is ours, not a subscriber's.
    private func collect(_ batch: InFlight) throws -> Set<Int> {
        guard let publisher else { throw AMQPError.closed }
        guard !batch.events.isEmpty || !batch.owed.deadLetters.isEmpty else { return [] }
        let events = batch.events
        var positions = Set<Int>()
        for sequence in try publisher.collectConfirms(channel: Self.eventsChannel) {
            // Sequence numbers count up by one per publish on the channel, events first.
            let position = Int(sequence &- batch.firstSequence)
            guard !events.isEmpty, sequence >= batch.firstSequence, position < events.count else { throw AMQPError.nacked(count: 1) }
            positions.insert(position)
        }
        metrics.add(.eventsPublished, events.count - positions.count)
        metrics.add(.eventsRefused, positions.count)
        let confirmed = positions.isEmpty ? events : events.enumerated().filter { !positions.contains($0.offset) }.map(\.element)
        for event in confirmed { figures.published(event.routingKey) }
        feed.publish(confirmed)
        return positions
    }

    /// Publishes again the refused events whose pause is over; sets aside those refused too often.
    private func retryRefusedEvents() throws {
        let due = refused.takeDue(now: .now)
        var setAside = refused.heldOver
        refused.heldOver = []
        if !due.isEmpty {
            let refusals = try publishConfirmed(due.map(\.event))
            setAside += refused.retried(due, refused: refusals, now: .now)
        }
        guard !setAside.isEmpty else { return }
        metrics.add(.eventsSetAside, setAside.count)
        for event in setAside { setAsideUnlogged[event.routingKey, default: 0] += 1 }
        if let last = setAsideLoggedAt, ContinuousClock.now - last < .seconds(60) { return }
        logger.warning("events set aside: a subscriber's queue kept refusing them (bound it with drop-head, not reject-publish)", metadata: [
            "by_routing_key": "\(setAsideUnlogged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
            "total_since_start": "\(metrics[.eventsSetAside])",
        ])
        setAsideUnlogged = [:]
        setAsideLoggedAt = .now
    }

    @discardableResult
    private func publish(_ event: OutboxEvent, on publisher: AMQPConnection) throws(AMQPError) -> UInt64 {
        try publisher.publish(
            exchange: topology.events, routingKey: event.routingKey, body: event.body,
            properties: AMQPProperties(
                contentType: "application/json", persistent: true, correlationId: event.correlationId,
                messageId: event.eventId, type: event.routingKey, appId: "switchboard"),
            channel: Self.eventsChannel)
    }

    /// Sends a copy of a message that cannot be processed to the dead-letter exchange, with
    /// why in its headers; the original is then acked with the batch. (basic.reject could
    /// not add the headers; the queue's own dead-lettering still catches a message that
    /// crashes the service repeatedly, through the delivery limit.)
    private func deadLetter(_ delivery: AMQPDelivery, _ rejection: IntakeRejection, on publisher: AMQPConnection) throws(AMQPError) {
        var properties = delivery.properties
        var headers = properties.headers ?? [:]
        headers["x-switchboard-error"] = .string(rejection.code.rawValue)
        headers["x-switchboard-reason"] = .string(rejection.reason)
        headers["x-switchboard-queue"] = .string(topology.requests)
        properties.headers = headers
        properties.persistent = true
        try publisher.publish(exchange: topology.dead, routingKey: delivery.routingKey, body: delivery.body,
                              properties: properties, channel: Self.eventsChannel)
        logger.notice("dead-lettered intake message", metadata: [
            "error": "\(rejection.code.rawValue)", "reason": "\(rejection.reason)",
            "message_id": "\(delivery.properties.messageId ?? "-")",
        ])
    }

    /// What a command is answered with: the outcome of running it, or, for a message id
    /// that already ran a change, the reply it got then.
    enum Answer {
        case outcome(Result<CommandResult, CommandError>)
        case repeated([UInt8])
    }

    private func reply(to delivery: AMQPDelivery, command name: String?, _ answer: Answer, on publisher: AMQPConnection) throws(AMQPError) {
        let command = name ?? "?"
        let user = delivery.properties.userId ?? "-"
        metrics.add(.commands)
        // Consoles often send without reply_to (fire and forget); no reply is then encoded.
        let replyTo = delivery.properties.replyTo.flatMap { $0.isEmpty ? nil : $0 }
        var body: [UInt8] = []
        switch answer {
        case var .outcome(outcome):
            if case var .success(.status(status)) = outcome {
                let uptime = ContinuousClock.now - startedAt
                status.uptimeSeconds = Double(uptime.milliseconds) / 1000
                status.counters = metrics.snapshot()
                status.role = "active"
                status.eventsSetAside = metrics[.eventsSetAside]
                status.broker = publisher.url.description
                status.dedupeWindowSeconds = configuration.dedupeWindow.components.seconds
                status.retainClosedSeconds = configuration.retainClosed?.components.seconds
                outcome = .success(.status(status))
            }
            figures.answered(name, outcome: outcome.code)
            switch outcome {
            case .success:
                logger.info("command", metadata: ["command": "\(command)", "user": "\(user)", "outcome": "ok"])
            case let .failure(error) where error.code == .forbidden:
                metrics.add(.commandErrors)
                metrics.add(.commandsForbidden)
                logger.warning("command refused", metadata: ["command": "\(command)", "user": "\(user)", "message": "\(error.message)"])
            case let .failure(error):
                metrics.add(.commandErrors)
                logger.info("command", metadata: [
                    "command": "\(command)", "user": "\(user)", "outcome": "\(error.code.rawValue)", "message": "\(error.message)",
                ])
            }
            if replyTo != nil { body = Reply(outcome).jsonBytes() }
        case let .repeated(reply):
            figures.answered(name, outcome: "repeated")
            logger.notice("command already processed; answering as the first time", metadata: [
                "command": "\(command)", "user": "\(user)", "message_id": "\(delivery.properties.messageId ?? "-")",
            ])
            body = reply
        }
        guard let replyTo else { return }
        if !publisher.isChannelOpen(Self.repliesChannel) { try publisher.openChannel(Self.repliesChannel) }
        do {
            try publisher.publish(
                exchange: "", routingKey: replyTo, body: body,
                properties: AMQPProperties(contentType: "application/json", correlationId: delivery.properties.correlationId,
                                           type: "reply"),
                channel: Self.repliesChannel)
        } catch let error where !error.isConnectionFatal {
            // The asker went away; the command itself is done.
            logger.notice("reply not delivered", metadata: ["reply_to": "\(replyTo)", "error": "\(error)"])
        }
    }

    /// Publishes events left unsent by an earlier run (a crash between commit and confirm),
    /// in pages that move on past rows still held by refused events.
    private func publishOutbox() throws {
        var total = 0
        var afterRow: Int64 = 0
        while true {
            let events = try store.unsentEvents(afterRow: afterRow, limit: 20)
            guard let last = events.last else { break }
            refused.published(events, refused: try publishConfirmed(events), now: .now)
            try settleOutbox()
            afterRow = last.id
            total += events.count
        }
        if total > 0 { logger.info("published events left in the outbox", metadata: ["count": "\(total)"]) }
    }

    /// Message ids older than the dedupe window, forgotten a round at a time.
    private func forgetExpiredMessageIds() throws {
        let forgotten = try forgetting.roundIfDue { limit in
            try untilWritable { try store.forgetMessageIds(olderThan: configuration.dedupeWindow, limit: limit) }
        }
        metrics.add(.messageIdsForgotten, forgotten)
    }

    /// Closed requests past SWITCHBOARD_RETAIN_CLOSED archived and deleted, and audit rows
    /// past SWITCHBOARD_RETAIN_AUDIT deleted, a round at a time; then a step of the free
    /// pages they leave given back.
    private func applyRetention(idle: Bool = false) throws {
        guard idle || retention.isDue else { return }
        let round = { () throws -> RetentionRounds.Removed in
            var removed = RetentionRounds.Removed()
            if let retain = self.configuration.retainClosed {
                removed.requests = try self.untilWritable {
                    try self.store.purgeClosed(olderThan: retain, limit: RetentionRounds.requests).purged
                }
            }
            if let retain = self.configuration.retainAudit {
                removed.auditRows = try self.untilWritable {
                    try self.store.forgetAuditRows(olderThan: retain, limit: RetentionRounds.auditRows)
                }
            }
            return removed
        }
        let removed = idle ? try retention.burst(round) : try retention.roundIfDue(round)
        countPurged(removed.requests)
        metrics.add(.auditRowsForgotten, removed.auditRows)
        metrics.add(.pagesReturned, try untilWritable { try store.returnFreePages() })
    }

    private func countPurged(_ count: Int) {
        metrics.add(.requestsPurged, count)
        figures.purged(count)
    }

    /// Nothing arrived for a moment: finish bookkeeping and keep the idle connection alive.
    private func idle() throws {
        try settleOutbox()
        if retention.isBehind { try applyRetention(idle: true) }
        try store.keepAlive()
        try publisher?.pump()
        noteBrokerBlocking()
    }

    /// While a broker alarm blocks publishing, events and replies wait: operators must see why.
    private func noteBrokerBlocking() {
        let blocked = publisher?.isBlockedByBroker ?? false
        guard blocked != blockedByBroker else { return }
        blockedByBroker = blocked
        if blocked {
            logger.warning("the broker blocks publishing (a memory or disk alarm): events and replies wait until it lifts")
        } else {
            logger.notice("the broker unblocked publishing")
        }
    }

    /// Writes the outbox settlement now, when no batch is coming to carry it.
    private func settleOutbox() throws {
        guard !refused.settlement.isEmpty else { return }
        try untilWritable { try store.settle(refused.settlement) }
        refused.settlement = OutboxSettlement()
    }

    /// Runs a write; while the database cannot take it (a full disk, a read-only file), waits
    /// and tries again, holding the batch. Its deliveries stay unacked here: handed back to
    /// the broker, each return would count against the queue's delivery limit and a long
    /// outage would dead-letter accepted requests. Readiness says why meanwhile.
    private func untilWritable<T>(_ write: () throws -> T) throws -> T {
        var failures = 0
        // What readiness said before the hold, and says again after it (the hold may come
        // before the service is ready, while it publishes the outbox left by a crash).
        // Read only once a write fails: this wraps every batch's transaction.
        var phaseBefore: ServicePhase?
        while true {
            do {
                let result = try write()
                if let phaseBefore {
                    control.health.set(phaseBefore)
                    logger.notice("the database takes writes again", metadata: ["attempts": "\(failures + 1)"])
                }
                return result
            } catch where SwitchboardStore.isUnavailable(error) && !control.isStopRequested {
                failures += 1
                figures.databaseUnavailable()
                if failures == 1 {
                    phaseBefore = control.health.phase
                    control.health.set(.databaseUnavailable("\(error)"))
                    logger.error("the database cannot take writes; holding the batch and trying again", metadata: [
                        "error": "\(error)", "db": "\(configuration.storeLocation)",
                    ])
                }
                try keepConnectionsAlive(for: Backoff.delay(afterFailures: failures, cap: configuration.maxReconnectDelay))
            }
        }
    }

    /// Waits, touching the store's session and sending heartbeats on whichever broker
    /// connections are open (none while reconnecting), but reading no delivery.
    private func keepConnectionsAlive(for pause: Duration) throws {
        let until = ContinuousClock.now + pause
        while !control.isStopRequested, ContinuousClock.now < until {
            try store.keepAlive()
            try publisher?.pump()
            try consumer?.sendHeartbeat()
            control.sleep(min(until - .now, .seconds(1)))
        }
    }

    /// A checkpoint that fails (the database file cannot grow on a full disk) is left for
    /// the next: the log keeps the pages, and commits go on into it.
    private func checkpoint() {
        do {
            try store.checkpoint()
        } catch {
            logger.warning("checkpoint failed; the write-ahead log keeps the pages until the next", metadata: ["error": "\(error)"])
        }
    }

    private func closeConnections() {
        // Its deliveries go back to the broker and its events stay in the outbox, to be
        // published again on reconnect.
        inFlight = nil
        consumer?.close()
        publisher?.close()
        consumer = nil
        publisher = nil
    }
}

/// Capped exponential backoff with jitter: ceilings of 100 ms, 200 ms, 400 ms ... up to the
/// cap, each pause drawn uniformly from the upper half of its ceiling, so that a retry never
/// comes much sooner than planned and many services do not retry in step.
enum Backoff {
    static func delay(afterFailures failures: Int, cap: Duration) -> Duration {
        let ceiling = min(cap.milliseconds, 100 << min(failures - 1, 16))
        return .milliseconds(Int64.random(in: ceiling / 2...max(ceiling, 1)))
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
