import AMQP
import Logging
import SwitchboardCore
import SwitchboardStore

/// Answers to commands: the outcome (or the first reply, for a repeated message id), logged,
/// counted, and published to the asker's `reply_to`.
extension Pipeline {
    typealias Answer = WriterAnswer

    func reply(to delivery: AMQPDelivery, command name: String?, _ answer: Answer, on publisher: AMQPConnection) throws(AMQPError) {
        let noted = noted(answer, command: name, user: delivery.properties.userId, messageId: delivery.properties.messageId,
                          broker: publisher.url)
        // Consoles often send without reply_to (fire and forget); no reply is then encoded.
        let replyTo = delivery.properties.replyTo.flatMap { $0.isEmpty ? nil : $0 }
        let body: [UInt8] = switch noted {
        case let .outcome(outcome) where replyTo != nil: Reply(outcome).jsonBytes()
        case let .repeated(reply): reply
        default: []
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

    /// Delivers what was answered beside the writer since it last looked (replays), logged
    /// and counted as every command's answer.
    func deliverAnsweredAside(on publisher: AMQPConnection) throws(AMQPError) {
        for aside in inbox.takeAnsweredAside() {
            switch aside.asker {
            case let .delivery(delivery): try reply(to: delivery, command: aside.command, .outcome(aside.outcome), on: publisher)
            case let .call(call):
                call.answer.resume(returning: noted(.outcome(aside.outcome), command: aside.command, user: aside.user,
                                                    messageId: aside.messageId, broker: publisher.url))
            }
        }
    }

    /// Answers the batch's HTTP calls (their effects are committed); `broker` completes a
    /// `service.status`, nil when the connection is gone.
    func answerCalls(_ owed: Owed, broker: AMQPURL? = nil) {
        for (call, answer) in owed.calls {
            var user: String?, messageId: String?
            switch call.work {
            case let .command(_, id, sender): (user, messageId) = (sender?.user, id)
            case let .invalidCommand(_, _, id, sender): (user, messageId) = (sender.user, id)
            case .intake: call.answer.resume(returning: answer); continue
            }
            call.answer.resume(returning: noted(answer, command: call.work.commandName, user: user, messageId: messageId, broker: broker))
        }
    }

    /// A command's answer logged and counted, the same for both doors; a `service.status`
    /// is completed with what only the writer knows.
    private func noted(_ answer: Answer, command name: String?, user: String?, messageId: String?, broker: AMQPURL?) -> Answer {
        let command = name ?? "?"
        let user = user ?? "-"
        metrics.add(.commands)
        switch answer {
        case var .outcome(outcome):
            if case let .success(.status(status)) = outcome, let broker {
                outcome = .success(.status(completed(status, broker: broker)))
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
            return .outcome(outcome)
        case .repeated:
            figures.answered(name, outcome: "repeated")
            logger.notice("command already processed; answering as the first time", metadata: [
                "command": "\(command)", "user": "\(user)", "message_id": "\(messageId ?? "-")",
            ])
            return answer
        case .intake, .unavailable:
            return answer
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
