import AMQP
import Logging
import SwitchboardCore
import SwitchboardStore

/// A batch's way through the writer: parse → one transaction → publish its events and dead
/// letters → collect the broker's confirms → reply → ack.
extension Pipeline {
    /// A committed batch on its way: what it published, and what it owes once confirmed.
    struct InFlight {
        var events: [OutboxEvent]
        var owed: Owed
        var ackThrough: AMQPDelivery?
        /// The publish sequence number of the first event.
        var firstSequence: UInt64 = 0
        var sentAt = ContinuousClock.now
    }

    /// What the committed batch owes the broker besides its events: a dead letter for each
    /// refused intake message, a reply for each command.
    struct Owed {
        var deadLetters: [DeadLetter] = []
        var replies: [OwedReply] = []
        /// The HTTP API's calls, answered when the broker has confirmed the batch's events.
        var calls: [(call: WriterInbox.Call, answer: WriterAnswer)] = []
    }

    struct DeadLetter {
        var delivery: AMQPDelivery
        var rejection: IntakeRejection
    }

    struct OwedReply {
        var delivery: AMQPDelivery
        /// The command's name as sent; nil when it named none.
        var command: String?
        var answer: Answer
    }

    /// A delivery and what it is for the store: work, or an intake message refused as it stands.
    private struct ParsedDelivery {
        var delivery: AMQPDelivery
        var work: Result<WorkItem, IntakeRejection>
    }

    /// Applies a batch (empty: only the deadlines that are due) and publishes what it did:
    /// parse → apply → publish → reply and ack. The HTTP API's calls, parsed by the HTTP
    /// side, are applied after the deliveries in the same transaction.
    func process(_ batch: [AMQPDelivery], calls: [WriterInbox.Call] = []) throws {
        let parsed = batch.compactMap { delivery -> ParsedDelivery? in
            switch Self.work(for: delivery) {
            case let .success(work): runAside(work, for: .delivery(delivery)).map { ParsedDelivery(delivery: delivery, work: .success($0)) }
            case let .failure(rejection): ParsedDelivery(delivery: delivery, work: .failure(rejection))
            }
        }
        let calls = calls.compactMap { call in runAside(call.work, for: .call(call)).map { WriterInbox.Call(work: $0, answer: call.answer) } }
        let applied = try apply(parsed.compactMap { try? $0.work.get() } + calls.map(\.work))
        var results = applied.results[...]
        var owed = owed(for: parsed, results: &results)
        for (call, result) in zip(calls, results) { owed.calls.append((call, answer(call.work, result, made: applied.made))) }
        try finishInFlight()
        inFlight = try send(InFlight(events: applied.events, owed: owed, ackThrough: batch.last))
    }

    /// Finishes the batch in flight once the broker has confirmed it, or returns as soon as the
    /// consumer has something to read, for the loop to commit the next batch meanwhile.
    /// Confirms that are slow to come (a broker alarm blocks publishing) are then waited for
    /// alone, as before, with the timeout that ends in a reconnect.
    func finishOrAwaitDelivery(_ batch: InFlight, consumer: AMQPConnection, publisher: AMQPConnection) throws {
        while true {
            try publisher.pump()
            if publisher.unconfirmedCount(channel: Self.eventsChannel) == 0 || ContinuousClock.now - batch.sentAt > Self.confirmOverlap {
                return try finishInFlight()
            }
            if inbox.hasWaiting || AMQPConnection.waitForInput(on: [consumer, publisher], timeout: .milliseconds(2)).contains(0) { return }
        }
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
        for letter in batch.owed.deadLetters { try deadLetter(letter.delivery, letter.rejection, on: publisher) }
        return batch
    }

    /// Collects the confirms of the batch in flight, then sends its replies and acks it.
    func finishInFlight() throws {
        guard let batch = inFlight else { return }
        inFlight = nil
        recordFirstAttempt(batch.events, refused: try collect(batch))
        metrics.add(.deadLettered, batch.owed.deadLetters.count)
        for letter in batch.owed.deadLetters { figures.deadLettered(letter.rejection.code.rawValue) }
        // Replies go out once the effects are durable and their events with the broker.
        guard let publisher else { throw AMQPError.closed }
        for owed in batch.owed.replies { try reply(to: owed.delivery, command: owed.command, owed.answer, on: publisher) }
        answerCalls(batch.owed, broker: publisher.url)
        guard let last = batch.ackThrough else { return }
        try consumer?.ack(last.deliveryTag, multiple: true)
        metrics.add(.batches)
        noteBrokerBlocking()
    }

    /// A `replay.run` its sender may run starts beside the writer and is answered when done
    /// (nil: nothing for this batch; the delivery is acked with it). One that finds a replay
    /// running is refused here; one its sender may not run goes on to the store, which
    /// refuses and audits it as any command.
    private func runAside(_ work: WorkItem, for asker: WriterInbox.AnsweredAside.Asker) -> WorkItem? {
        guard case let .command(.replayRun(query), messageId, sender) = work,
              configuration.access.refusal(of: CommandName.replayRun.rawValue, by: sender?.user) == nil
        else { return work }
        if replays.start(query, for: asker, user: sender?.user, messageId: messageId) { return nil }
        return .invalidCommand(name: CommandName.replayRun.rawValue, ReplayRunner.busy, messageId: messageId,
                               sender: sender ?? CommandSender(user: nil, args: nil))
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
            return try store.apply(items, settling: retries.settlement)
        }
        figures.applied(applied.figures, items: items.count, transaction: .now - started)
        metrics.add(.assignments, applied.figures.assignmentWaits.count)
        metrics.add(.requestsEscalated, applied.figures.escalated)
        metrics.add(.wrapUpsEnded, applied.figures.wrapUpsEnded)
        metrics.add(.assignmentWaitMilliseconds, Int(applied.figures.assignmentWaits.reduce(0, +)))
        retries.settlement = OutboxSettlement()
        return applied
    }

    /// Pairs each delivery with its result (the store gives one per work item, in order),
    /// taking the deliveries' results off the front of `results`.
    private func owed(for parsed: [ParsedDelivery], results: inout ArraySlice<WorkResult>) -> Owed {
        var owed = Owed()
        for entry in parsed {
            let item: WorkItem
            switch entry.work {
            case let .failure(rejection):
                owed.deadLetters.append(DeadLetter(delivery: entry.delivery, rejection: rejection))
                continue
            case let .success(work): item = work
            }
            guard let result = results.popFirst() else { preconditionFailure("the store answered fewer results than it was given items") }
            switch answer(item, result) {
            case let .intake(.rejected(rejection), _): owed.deadLetters.append(DeadLetter(delivery: entry.delivery, rejection: rejection))
            case .intake: break
            case let answer: owed.replies.append(OwedReply(delivery: entry.delivery, command: item.commandName, answer: answer))
            }
        }
        return owed
    }

    /// What a work item's result answers, counted once, whichever door it came in by.
    private func answer(_ item: WorkItem, _ result: WorkResult, made: [Int64: Request] = [:]) -> WriterAnswer {
        switch result {
        case let .intake(outcome):
            switch outcome {
            case .assigned: metrics.add(.requestsAccepted); metrics.add(.requestsAssigned)
            case .offered: metrics.add(.requestsAccepted); metrics.add(.requestsOffered)
            case .waiting: metrics.add(.requestsAccepted); metrics.add(.requestsWaiting)
            case .duplicate: metrics.add(.duplicates)
            case .rejected: break
            }
            return .intake(outcome, made: outcome.requestId.flatMap { made[$0] })
        case let .command(outcome):
            if case let .success(.purge(summary)) = outcome, !summary.dryRun { metrics.add(.requestsPurged, summary.purged) }
            if case let .success(.resent(resent)) = outcome, resent.resent > 0 { retryRounds.scheduled(.now()) }
            return .outcome(outcome)
        case let .repeatedCommand(reply):
            metrics.add(.duplicates)
            return .repeated(reply)
        }
    }

    /// Publishes events and waits for the broker's answers (after the batch in flight);
    /// returns the positions of the events it refused.
    func publishConfirmed(_ events: [OutboxEvent]) throws -> Set<Int> {
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
}
