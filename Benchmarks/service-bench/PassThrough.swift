import AMQP
import Foundation
import GRDB

/// The ceiling: the most any durable consumer on this broker can do. It consumes with
/// prefetch, takes every delivery already waiting (up to 256, never waiting to fill),
/// publishes each onward with confirms, and acks the batch after the confirms — the
/// service's processing model with the database taken out.
///
/// With `offering`, it is the ceiling of a router whose every pick is answered: what comes
/// in on `queue` goes out as `offered`, and what comes back on `answers` (a console's
/// accept, a second durable queue as the control queue is) is replied to, to its `reply_to`,
/// and goes out as `passed`: the service's exchanges exactly (intake in, `request.offered`
/// out, the accept in, its reply out, `request.assigned` out), with no routing or store.
///
/// With `journal` (a SQLite file path), it is the durable-router ceiling: each batch is
/// inserted (message id and body, one row each) into that file in one transaction (WAL,
/// `synchronous=FULL`, as the service's database) and committed before anything is
/// published or acked. No durable router can do less on a message's path. With both, it
/// is the ceiling of a durable router whose picks are answered: the request and the answer
/// are each stored before they go on.
final class PassThrough: @unchecked Sendable {
    let queue: String
    let answers: String
    let output: String
    let offering: Bool
    let journal: String?
    private let url: AMQPURL
    private let stop = NSLock()
    private var stopped = false
    private var threadSeconds = 0.0
    private var committing: (seconds: Double, count: Double) = (0, 0)

    /// The journal's transactions so far (the durable router's): their seconds in all, and how many.
    var transactions: (seconds: Double, count: Double) { stop.withLock { committing } }

    /// The CPU its thread has used so far (updated after every batch and every idle wait).
    var cpuSeconds: Double { stop.withLock { threadSeconds } }
    private let finished = DispatchSemaphore(value: 0)

    init(url: AMQPURL, prefix: String, queueType: String, offering: Bool = false, journal: String? = nil) throws {
        self.url = url
        self.offering = offering
        self.journal = journal
        let name = "\(prefix).\(journal == nil ? "passthrough" : "durable-router")\(offering ? "-offering" : "")"
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
                let store = try journal.map(Journal.init(path:))
                try consumer.setPrefetch(512)
                try consumer.consume(queue: queue)
                if offering { try consumer.consume(queue: answers, consumerTag: "answers") }
                var batch: [AMQPDelivery] = []
                while !stop.withLock({ threadSeconds = CPUShares.threadSeconds(); return stopped }) {
                    guard let first = try consumer.nextDelivery(timeout: .milliseconds(200)) else {
                        try publisher.pump()
                        continue
                    }
                    batch = [first]
                    while batch.count < 256, let next = try consumer.nextDelivery(timeout: .zero) { batch.append(next) }
                    if let store {
                        let elapsed = try ContinuousClock().measure { try store.insert(batch) }
                        stop.withLock { committing = (committing.seconds + elapsed / .seconds(1), committing.count + 1) }
                    }
                    for delivery in batch {
                        if let replyTo = delivery.properties.replyTo, delivery.consumerTag == "answers" {
                            try publisher.publish(exchange: "", routingKey: replyTo, body: Self.reply,
                                                  properties: AMQPProperties(contentType: "application/json",
                                                                             correlationId: delivery.properties.correlationId))
                        }
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

    /// What a reply to an accept weighs: about the service's.
    static let reply = Array(#"{"ok":true,"result":{"id":1,"user_id":1,"source_id":1,"operator_id":1,"message":"m","status":"assigned"}}"#.utf8)

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

/// The durable-router ceiling's one table: a row per message, committed per batch.
private struct Journal {
    let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, message_id TEXT, body BLOB NOT NULL)")
        }
    }

    func insert(_ batch: [AMQPDelivery]) throws {
        try queue.write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO messages (message_id, body) VALUES (?, ?)")
            for delivery in batch {
                try statement.execute(arguments: [delivery.properties.messageId, Data(delivery.body)])
            }
        }
    }
}
