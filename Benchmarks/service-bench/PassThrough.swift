import AMQP
import Foundation

/// The ceiling: the most any durable consumer on this broker can do. It consumes with
/// prefetch, takes every delivery already waiting (up to 256, never waiting to fill),
/// publishes each onward with confirms, and acks the batch after the confirms — the
/// service's processing model with the database taken out.
///
/// With `offering`, it is the ceiling of a router whose every pick is answered: what comes
/// in on `queue` goes out as `offered`, and what comes back on `answers` (a console's
/// accept, a second durable queue as the control queue is) goes out as `passed`.
final class PassThrough: @unchecked Sendable {
    let queue: String
    let answers: String
    let output: String
    let offering: Bool
    private let url: AMQPURL
    private let stop = NSLock()
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    init(url: AMQPURL, prefix: String, queueType: String, offering: Bool = false) throws {
        self.url = url
        self.offering = offering
        let name = offering ? "\(prefix).passthrough-offering" : "\(prefix).passthrough"
        queue = name
        answers = "\(name).answers"
        output = "\(name).out"
        let connection = try AMQPConnection(url: url, options: .init(connectionName: "bench setup"))
        try connection.openChannel()
        try connection.declareQueue(queue, durable: true, arguments: ["x-queue-type": .string(queueType)])
        if offering { try connection.declareQueue(answers, durable: true, arguments: ["x-queue-type": .string(queueType)]) }
        try connection.declareExchange(output, type: .topic, durable: true)
        connection.close()
    }

    func start() {
        let thread = Thread { [self] in
            do {
                let consumer = try AMQPConnection(url: url, options: .init(connectionName: "bench pass-through in"))
                let publisher = try AMQPConnection(url: url, options: .init(connectionName: "bench pass-through out"))
                try consumer.openChannel()
                try publisher.openChannel()
                try publisher.enableConfirms()
                try consumer.setPrefetch(512)
                try consumer.consume(queue: queue)
                if offering { try consumer.consume(queue: answers, consumerTag: "answers") }
                var batch: [AMQPDelivery] = []
                while !stop.withLock({ stopped }) {
                    guard let first = try consumer.nextDelivery(timeout: .milliseconds(200)) else {
                        try publisher.pump()
                        continue
                    }
                    batch = [first]
                    while batch.count < 256, let next = try consumer.nextDelivery(timeout: .zero) { batch.append(next) }
                    for delivery in batch {
                        try publisher.publish(
                            exchange: output, routingKey: offering && delivery.consumerTag != "answers" ? "offered" : "passed", body: delivery.body,
                            properties: AMQPProperties(contentType: "application/json", persistent: true,
                                                       correlationId: delivery.properties.messageId))
                    }
                    try publisher.waitForConfirms()
                    try consumer.ack(batch[batch.count - 1].deliveryTag, multiple: true)
                }
                consumer.close()
                publisher.close()
            } catch {
                FileHandle.standardError.write(Data("pass-through failed: \(error)\n".utf8))
            }
            finished.signal()
        }
        thread.start()
    }

    func stopAndClean() throws {
        stop.withLock { stopped = true }
        finished.wait()
        let connection = try AMQPConnection(url: url, options: .init(connectionName: "bench cleanup"))
        try connection.openChannel()
        try connection.deleteQueue(queue)
        if offering { try connection.deleteQueue(answers) }
        try connection.deleteExchange(output)
        connection.close()
    }
}
