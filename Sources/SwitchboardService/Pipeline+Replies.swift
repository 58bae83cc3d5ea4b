import AMQP
import Logging
import SwitchboardCore
import SwitchboardStore

/// Answers to commands: the outcome (or the first reply, for a repeated message id), logged,
/// counted, and published to the asker's `reply_to`.
extension Pipeline {
    /// What a command is answered with: the outcome of running it, or, for a message id
    /// that already ran a change, the reply it got then.
    enum Answer {
        case outcome(Result<CommandResult, CommandError>)
        case repeated([UInt8])
    }

    func reply(to delivery: AMQPDelivery, command name: String?, _ answer: Answer, on publisher: AMQPConnection) throws(AMQPError) {
        let command = name ?? "?"
        let user = delivery.properties.userId ?? "-"
        metrics.add(.commands)
        // Consoles often send without reply_to (fire and forget); no reply is then encoded.
        let replyTo = delivery.properties.replyTo.flatMap { $0.isEmpty ? nil : $0 }
        var body: [UInt8] = []
        switch answer {
        case var .outcome(outcome):
            if case let .success(.status(status)) = outcome {
                outcome = .success(.status(completed(status, broker: publisher.url)))
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

    /// `service.status` as answered: what the store read, with what only the writer knows
    /// (its uptime, counters, role, broker and settings). The one place the reply is built.
    func completed(_ stored: ServiceStatus, broker: AMQPURL) -> ServiceStatus {
        var status = stored
        let uptime = ContinuousClock.now - startedAt
        status.uptimeSeconds = Double(uptime.milliseconds) / 1000
        status.counters = metrics.snapshot()
        status.role = "active"
        status.eventsSetAside = metrics[.eventsSetAside]
        status.broker = broker.description
        status.dedupeWindowSeconds = configuration.dedupeWindow.components.seconds
        status.retainClosedSeconds = configuration.retainClosed?.components.seconds
        return status
    }
}
