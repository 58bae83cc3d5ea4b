import AMQP
import SwitchboardCore

// Declaring the contract's topology, idempotently, on every start and reconnect.
extension Topology {
    /// The channel declarations use: a failed declaration closes its channel, and the
    /// publishing channels must not go with it.
    static let declaringChannel: UInt16 = 3

    /// Declares everything; safe to repeat on every start and reconnect. Returns the consumed
    /// queues that already existed without single active consumer (declared by an earlier
    /// version): they are used as they are, and the active lock alone keeps them to one consumer.
    @discardableResult
    public func declare(on connection: AMQPConnection, queueType: SwitchboardServiceConfiguration.QueueType) throws(AMQPError) -> [String] {
        let channel = Self.declaringChannel
        try connection.openChannel(channel)
        defer { try? connection.closeChannel(channel) }
        try connection.declareExchange(events, type: .topic, durable: true, channel: channel)
        try connection.declareExchange(dead, type: .fanout, durable: true, channel: channel)
        try connection.declareQueue(deadQueue, durable: true, arguments: ["x-queue-type": .string(queueType.rawValue)], channel: channel)
        try connection.bindQueue(deadQueue, exchange: dead, channel: channel)
        var arguments: AMQPTable = [
            "x-queue-type": .string(queueType.rawValue), "x-dead-letter-exchange": .string(dead),
            // The broker gives deliveries to one consumer at a time, whoever else subscribes.
            "x-single-active-consumer": .bool(true),
        ]
        // A message that keeps failing (the service crashes on it) is dead-lettered by the
        // broker after five deliveries instead of looping forever. Only quorum queues count.
        if queueType == .quorum { arguments["x-delivery-limit"] = .int(5) }
        var legacy: [String] = []
        for queue in [requests, control] {
            do {
                try connection.declareQueue(queue, durable: true, arguments: arguments, channel: channel)
            } catch let .channelClosed(code, text, _) where code == 406 && text.contains("x-single-active-consumer") {
                try connection.openChannel(channel)
                try connection.declareQueue(queue, passive: true, channel: channel)
                legacy.append(queue)
            }
            // A fanout exchange of the queue's own name routes to it, so a broker user can be
            // allowed to write to this queue alone: the default exchange reaches every queue.
            try connection.declareExchange(queue, type: .fanout, durable: true, channel: channel)
            try connection.bindQueue(queue, exchange: queue, channel: channel)
        }
        return legacy
    }

    /// Binds this prefix to the database `storeId` on the broker, or finds it bound to another.
    /// Returns nil when the prefix is this database's, else the other database's id as the
    /// broker reports it.
    func claim(for storeId: String, on connection: AMQPConnection) throws(AMQPError) -> String? {
        let channel = Self.declaringChannel
        try connection.openChannel(channel)
        defer { try? connection.closeChannel(channel) }
        do {
            try connection.declareExchange(owner, type: .fanout, durable: true,
                                           arguments: ["alternate-exchange": .string(storeId)], channel: channel)
            return nil
        } catch let .channelClosed(code, text, _) where code == 406 {
            // "... received 'ours' but current is 'theirs'"
            guard let range = text.range(of: "but current is '") else { return "unknown (\(text))" }
            return String(text[range.upperBound...].prefix { $0 != "'" })
        }
    }

    /// Removes everything (tests and tools that use a throwaway prefix).
    public func delete(on connection: AMQPConnection) throws(AMQPError) {
        for queue in [requests, control, deadQueue] { try connection.deleteQueue(queue) }
        for exchange in [events, dead, owner, requests, control] { try connection.deleteExchange(exchange) }
    }
}
