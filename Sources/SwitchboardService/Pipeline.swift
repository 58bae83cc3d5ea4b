import AMQP
import Logging
import SwitchboardCore
import SwitchboardStore

/// The single writer: one thread that owns the broker connections and the store, and turns
/// deliveries into durable state, events and replies, in arrival order.
///
/// A batch is everything already waiting (up to the batch size, never waiting to fill):
/// parse → one transaction → publish its events and dead letters with confirms → reply →
/// ack the batch with one `multiple` ack. A delivery is acked only once its effects are on
/// disk and its events with the broker, so a crash at any point loses nothing: unacked
/// deliveries come back and are deduped by message id; unsent events are published again
/// from the outbox on start.
final class Pipeline {
    private let configuration: SwitchboardServiceConfiguration
    private let topology: Topology
    private let store: SwitchboardStore
    private let control: PipelineControl
    private let metrics: ServiceMetrics
    private let logger: Logger
    private let startedAt = ContinuousClock.now

    private var consumer: AMQPConnection?
    private var publisher: AMQPConnection?
    /// Outbox rows the broker confirmed, deleted with the next batch's transaction.
    private var confirmedEvents: [Int64] = []

    private static let intakeTag = "switchboard-intake"
    private static let controlTag = "switchboard-control"
    private static let eventsChannel: UInt16 = 1
    private static let repliesChannel: UInt16 = 2
    /// Commits between checkpoints. Each checkpoint also flushes the database file; every 8
    /// commits put that flush on too many messages' paths, every 64 measured best (paced
    /// p99 2–5 ms against 1.4–12 ms, switchboard-bench --only latency, four runs each).
    private static let checkpointEvery = 64

    init(configuration: SwitchboardServiceConfiguration, store: SwitchboardStore, control: PipelineControl, metrics: ServiceMetrics, logger: Logger) {
        self.configuration = configuration
        self.topology = Topology(prefix: configuration.prefix)
        self.store = store
        self.control = control
        self.metrics = metrics
        self.logger = logger
    }

    /// Serves until asked to stop, reconnecting after any broker or database failure with
    /// capped exponential backoff and jitter.
    func run() {
        var failures = 0
        while !control.isStopRequested {
            do {
                try serve(onReady: { failures = 0 })
            } catch {
                failures += 1
                metrics.add(.reconnects)
                let delay = Backoff.delay(afterFailures: failures, cap: configuration.maxReconnectDelay)
                logger.warning("broker or database failure; reconnecting", metadata: [
                    "error": "\(error)", "attempt": "\(failures)", "retry_in_ms": "\(delay.milliseconds)",
                ])
                closeConnections()
                control.sleep(delay)
            }
        }
        closeConnections()
        logger.info("stopped")
    }

    private func serve(onReady: () -> Void) throws {
        let options = { (name: String) in
            var options = AMQPConnection.Options(connectionName: name, heartbeatSeconds: self.configuration.heartbeatSeconds)
            options.connectTimeoutSeconds = 5
            return options
        }
        let publisher = try AMQPConnection(url: configuration.amqpURL, options: options("switchboard publisher"))
        self.publisher = publisher
        try publisher.openChannel(Self.eventsChannel)
        try publisher.enableConfirms(channel: Self.eventsChannel)
        try publisher.openChannel(Self.repliesChannel)
        try topology.declare(on: publisher, queueType: configuration.queueType)
        confirmedEvents = []
        try publishOutbox()

        let consumer = try AMQPConnection(url: configuration.amqpURL, options: options("switchboard consumer"))
        self.consumer = consumer
        try consumer.openChannel()
        try consumer.setPrefetch(UInt16(clamping: configuration.prefetch))
        try consumer.consume(queue: topology.requests, consumerTag: Self.intakeTag)
        try consumer.consume(queue: topology.control, consumerTag: Self.controlTag)
        onReady()
        control.markReady()
        logger.info("ready", metadata: [
            "broker": "\(configuration.amqpURL)", "prefix": "\(configuration.prefix)",
            "queue_type": "\(configuration.queueType.rawValue)", "batch_size": "\(configuration.batchSize)",
        ])

        var batch: [AMQPDelivery] = []
        batch.reserveCapacity(configuration.batchSize)
        while !control.isStopRequested {
            // A checkpoint is due: run it now if nothing is waiting, else after the next batch.
            let checkpointDue = store.commitsSinceCheckpoint >= Self.checkpointEvery
            guard let first = try consumer.nextDelivery(timeout: checkpointDue ? .zero : .milliseconds(200)) else {
                if checkpointDue { try store.checkpoint() } else { try idle() }
                continue
            }
            // Under sustained load nothing is ever idle: bound the log all the same.
            if store.commitsSinceCheckpoint >= Self.checkpointEvery * 16 { try store.checkpoint() }
            batch.removeAll(keepingCapacity: true)
            batch.append(first)
            while batch.count < configuration.batchSize, let next = try consumer.nextDelivery(timeout: .zero) {
                batch.append(next)
            }
            try process(batch)
        }
        // Stopping: the batch in hand is done and acked. Unread prefetched deliveries are
        // requeued by the broker when the connection closes.
        try forgetConfirmedEvents()
        closeConnections()
    }

    private func process(_ batch: [AMQPDelivery]) throws {
        var items: [WorkItem] = []
        var origins: [Int] = []
        var deadLetters: [(AMQPDelivery, IntakeRejection)] = []
        var replies: [(AMQPDelivery, Command?, Answer)] = []
        items.reserveCapacity(batch.count)
        origins.reserveCapacity(batch.count)
        for (index, delivery) in batch.enumerated() {
            if delivery.consumerTag == Self.intakeTag {
                switch IntakeMessage.parse(delivery.body) {
                case let .success(message):
                    items.append(.intake(message, messageId: delivery.properties.messageId))
                    origins.append(index)
                case let .failure(rejection):
                    deadLetters.append((delivery, rejection))
                }
            } else {
                switch Command.parse(delivery.body) {
                case let .success(command):
                    items.append(.command(command, messageId: delivery.properties.messageId))
                    origins.append(index)
                case let .failure(error):
                    replies.append((delivery, nil, .outcome(.failure(error))))
                }
            }
        }

        let applied = try store.apply(items, markingSent: confirmedEvents)
        confirmedEvents = []
        for (position, result) in applied.results.enumerated() {
            let delivery = batch[origins[position]]
            switch result {
            case let .intake(outcome):
                switch outcome {
                case .assigned: metrics.add(.requestsAccepted); metrics.add(.requestsAssigned)
                case .waiting: metrics.add(.requestsAccepted); metrics.add(.requestsWaiting)
                case .duplicate: metrics.add(.duplicates)
                case let .rejected(rejection): deadLetters.append((delivery, rejection))
                }
            case let .command(outcome):
                guard case let .command(command, _) = items[position] else { continue }
                replies.append((delivery, command, .outcome(outcome)))
            case let .repeatedCommand(reply):
                guard case let .command(command, _) = items[position] else { continue }
                metrics.add(.duplicates)
                replies.append((delivery, command, .repeated(reply)))
            }
        }

        guard let publisher else { throw AMQPError.closed }
        for event in applied.events { try publish(event, on: publisher) }
        for (delivery, rejection) in deadLetters { try deadLetter(delivery, rejection, on: publisher) }
        if !applied.events.isEmpty || !deadLetters.isEmpty {
            try publisher.waitForConfirms(channel: Self.eventsChannel)
        }
        confirmedEvents = applied.events.map(\.id)
        metrics.add(.eventsPublished, applied.events.count)
        metrics.add(.deadLettered, deadLetters.count)
        // Replies go out once the effects are durable and their events with the broker.
        for (delivery, command, outcome) in replies { try reply(to: delivery, command: command, outcome, on: publisher) }
        try consumer?.ack(batch[batch.count - 1].deliveryTag, multiple: true)
        metrics.add(.batches)
    }

    private func publish(_ event: OutboxEvent, on publisher: AMQPConnection) throws(AMQPError) {
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

    private func reply(to delivery: AMQPDelivery, command: Command?, _ answer: Answer, on publisher: AMQPConnection) throws(AMQPError) {
        metrics.add(.commands)
        let body: [UInt8]
        switch answer {
        case var .outcome(outcome):
            if case var .success(.status(status)) = outcome {
                let uptime = ContinuousClock.now - startedAt
                status.uptimeSeconds = Double(uptime.milliseconds) / 1000
                status.counters = metrics.snapshot()
                outcome = .success(.status(status))
            }
            switch outcome {
            case .success:
                logger.info("command", metadata: ["command": "\(command?.name ?? "?")", "outcome": "ok"])
            case let .failure(error):
                metrics.add(.commandErrors)
                logger.info("command", metadata: [
                    "command": "\(command?.name ?? "?")", "outcome": "\(error.code.rawValue)", "message": "\(error.message)",
                ])
            }
            body = Reply(outcome).jsonBytes()
        case let .repeated(reply):
            logger.notice("command already processed; answering as the first time", metadata: [
                "command": "\(command?.name ?? "?")", "message_id": "\(delivery.properties.messageId ?? "-")",
            ])
            body = reply
        }
        guard let replyTo = delivery.properties.replyTo, !replyTo.isEmpty else { return }
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

    /// Publishes events left unsent by an earlier run (a crash between commit and confirm).
    private func publishOutbox() throws {
        guard let publisher else { throw AMQPError.closed }
        var total = 0
        while true {
            let events = try store.unsentEvents(limit: 20)
            guard !events.isEmpty else { break }
            for event in events { try publish(event, on: publisher) }
            try publisher.waitForConfirms(channel: Self.eventsChannel)
            try store.markSent(events.map(\.id))
            total += events.count
        }
        if total > 0 {
            metrics.add(.eventsPublished, total)
            logger.info("published events left in the outbox", metadata: ["count": "\(total)"])
        }
    }

    /// Nothing arrived for a moment: finish bookkeeping and keep the idle connection alive.
    private func idle() throws {
        try forgetConfirmedEvents()
        try publisher?.pump()
    }

    /// Deletes confirmed events from the outbox now, when no batch is coming to carry it.
    private func forgetConfirmedEvents() throws {
        guard !confirmedEvents.isEmpty else { return }
        try store.markSent(confirmedEvents)
        confirmedEvents = []
    }

    private func closeConnections() {
        consumer?.close()
        publisher?.close()
        consumer = nil
        publisher = nil
    }
}

extension Duration {
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

/// Capped exponential backoff with full jitter: 100 ms, 200 ms, 400 ms ... up to the cap,
/// each drawn uniformly below its ceiling so that many services do not retry in step.
enum Backoff {
    static func delay(afterFailures failures: Int, cap: Duration) -> Duration {
        let ceiling = min(cap.milliseconds, 100 << min(failures - 1, 16))
        return .milliseconds(Int64.random(in: ceiling / 2...max(ceiling, 1)))
    }
}
