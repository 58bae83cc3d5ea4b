import AMQP
import Logging
import SwitchboardCore
import SwitchboardStore

/// What the writer does between batches: refused events published again from the store, the outbox left
/// by an earlier run, message ids past the dedupe window, retention rounds, checkpoints, and
/// holding a write while the database cannot take it. When each runs is the decision of a
/// value in Decisions/.
extension Pipeline {
    /// Publishes again a page of the refused events whose pause is over (read from the
    /// store, where they wait), when ``RetryRounds`` says a round is due; sets aside those
    /// whose SWITCHBOARD_EVENT_RETRY_FOR has passed.
    func retryRefusedEvents() throws {
        // Every loop turn comes here: no clock is read while nothing waits.
        guard retryRounds.earliestDue != nil, retryRounds.isDue(now: .now, wallClock: .now()) else { return }
        // What earlier publications settled goes first, so that the page read is current.
        try finishInFlight()
        try settleOutbox()
        let now = Timestamp.now()
        let rows = try store.dueRetries(at: now, rows: RetryRounds.rows, events: RetryRounds.events)
        let events = rows.flatMap(\.events)
        let refusals = events.isEmpty ? [] : try publishConfirmed(events)
        metrics.add(.eventRetries, events.count)
        let outcome = retries.retried(rows, refused: refusals, now: .now())
        try settleOutbox()
        retryRounds.finished(refusedAgain: !refusals.isEmpty, nextDue: try store.nextRetryDue(), now: .now)
        noteRefusals(refusals.map { events[$0].routingKey }, setAside: outcome.setAside)
    }

    /// Records the first publication of events from the outbox, some of which the broker may have refused.
    func recordFirstAttempt(_ events: [OutboxEvent], refused: Set<Int>) {
        let outcome = retries.published(events, refused: refused, now: .now())
        retryRounds.scheduled(outcome.nextDue)
        noteRefusals(refused.map { events[$0].routingKey }, setAside: outcome.setAside)
    }

    /// Counts what was set aside, and warns of refusals at most once a minute, by routing key.
    private func noteRefusals(_ refusedKeys: [String], setAside: [OutboxEvent]) {
        guard !refusedKeys.isEmpty || !setAside.isEmpty else { return }
        metrics.add(.eventsSetAside, setAside.count)
        guard let byRoutingKey = refusalWarnings.refused(refusedKeys, at: .now) else { return }
        logger.warning("""
            events refused by a subscriber's queue: they are published again until it takes them, for \
            SWITCHBOARD_EVENT_RETRY_FOR, then set aside; bound a console's queue with drop-head (not reject-publish), or drain it
            """, metadata: [
            "refused_by_routing_key": "\(byRoutingKey.map { "\($0.routingKey)=\($0.count)" }.joined(separator: ","))",
            "set_aside_since_start": "\(metrics[.eventsSetAside])",
        ])
    }

    /// Publishes events left unsent by an earlier run (a crash between commit and confirm),
    /// a page at a time; refused ones join the retries.
    func publishOutbox() throws {
        var total = 0
        var afterRow: Int64 = 0
        while true {
            let events = try store.unsentEvents(afterRow: afterRow, limit: 20)
            guard let last = events.last else { break }
            recordFirstAttempt(events, refused: try publishConfirmed(events))
            try settleOutbox()
            afterRow = last.id
            total += events.count
        }
        if total > 0 { logger.info("published events left in the outbox", metadata: ["count": "\(total)"]) }
    }

    /// Message ids older than the dedupe window, forgotten a round at a time.
    func forgetExpiredMessageIds() throws {
        guard forgetting.isDue(at: .now) else { return }
        let forgotten = try untilWritable {
            try store.forgetMessageIds(olderThan: configuration.dedupeWindow, limit: MessageIdForgetting.limit)
        }
        forgetting.finished(intake: forgotten.intake, commands: forgotten.commands, at: .now)
        metrics.add(.messageIdsForgotten, forgotten.intake + forgotten.commands)
    }

    /// Closed requests past SWITCHBOARD_RETAIN_CLOSED archived and deleted, and audit rows
    /// and presence changes past SWITCHBOARD_RETAIN_AUDIT deleted, a round at a time (back to back for a moment
    /// when idle); then a step of the free pages they leave given back.
    func applyRetention(idle: Bool = false) throws {
        let start = ContinuousClock.now
        if idle || retention.isDue(at: start) {
            var removed = RetentionRounds.Removed()
            repeat {
                let round = try retentionRound()
                retention.finished(round, at: .now)
                removed = removed + round
            } while idle && retention.burstGoesOn(startedAt: start, now: .now)
            metrics.add(.requestsPurged, removed.requests)
            metrics.add(.auditRowsForgotten, removed.auditRows)
            metrics.add(.presenceChangesForgotten, removed.presenceChanges)
        }
        // Pages freed by a request.purge too, not only by these rounds: a step each turn.
        metrics.add(.pagesReturned, try untilWritable { try store.returnFreePages() })
    }

    private func retentionRound() throws -> RetentionRounds.Removed {
        var removed = RetentionRounds.Removed()
        if let retain = configuration.retainClosed {
            removed.requests = try untilWritable { try store.purgeClosed(olderThan: retain, limit: RetentionRounds.requests).purged }
        }
        if let retain = configuration.retainAudit {
            removed.auditRows = try untilWritable { try store.forgetAuditRows(olderThan: retain, limit: RetentionRounds.auditRows) }
            removed.presenceChanges = try untilWritable {
                try store.forgetPresenceChanges(olderThan: retain, limit: RetentionRounds.presenceChanges)
            }
        }
        return removed
    }

    /// Nothing arrived for a moment: finish bookkeeping and keep the idle connection alive.
    func idle() throws {
        try settleOutbox()
        if retention.isBehind { try applyRetention(idle: true) }
        try store.keepAlive()
        try publisher?.pump()
        noteBrokerBlocking()
    }

    /// Writes the outbox settlement now, when no batch is coming to carry it.
    func settleOutbox() throws {
        guard !retries.settlement.isEmpty else { return }
        try untilWritable { try store.settle(retries.settlement) }
        retries.settlement = OutboxSettlement()
    }

    /// Runs a write; while the database cannot take it (a full disk, a read-only file), waits
    /// and tries again, holding the batch. Its deliveries stay unacked here: handed back to
    /// the broker, each return would count against the queue's delivery limit and a long
    /// outage would dead-letter accepted requests. Readiness says why meanwhile.
    func untilWritable<T>(_ write: () throws -> T) throws -> T {
        var backoff = ReconnectBackoff(cap: configuration.maxReconnectDelay)
        // What readiness said before the hold, and says again after it (the hold may come
        // before the service is ready, while it publishes the outbox left by a crash).
        // Read only once a write fails: this wraps every batch's transaction.
        var phaseBefore: ServicePhase?
        while true {
            do {
                let result = try write()
                if let phaseBefore {
                    control.health.set(phaseBefore)
                    logger.notice("the database takes writes again", metadata: ["attempts": "\(backoff.failures + 1)"])
                }
                return result
            } catch where SwitchboardStore.isUnavailable(error) && !control.isStopRequested {
                let pause = backoff.failed()
                figures.databaseUnavailable()
                if backoff.failures == 1 {
                    phaseBefore = control.health.phase
                    control.health.set(.databaseUnavailable(StoreFailure(error).description))
                    logger.error("the database cannot take writes; holding the batch and trying again", metadata: [
                        "error": "\(error)", "db": "\(configuration.storeLocation)",
                    ])
                }
                try keepConnectionsAlive(for: pause)
            }
        }
    }

    /// A checkpoint that fails (the database file cannot grow on a full disk) is left for
    /// the next: the log keeps the pages, and commits go on into it.
    func checkpoint() {
        do {
            try store.checkpoint()
        } catch {
            logger.warning("checkpoint failed; the write-ahead log keeps the pages until the next", metadata: ["error": "\(error)"])
        }
    }
}
