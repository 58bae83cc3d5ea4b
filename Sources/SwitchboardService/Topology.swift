import AMQP
import SwitchboardCore

// Declaring the contract's topology, idempotently, on every start and reconnect.
extension Topology {
    /// Declares everything; safe to repeat on every start and reconnect.
    public func declare(on connection: AMQPConnection, queueType: SwitchboardServiceConfiguration.QueueType) throws(AMQPError) {
        try connection.declareExchange(events, type: .topic, durable: true)
        try connection.declareExchange(dead, type: .fanout, durable: true)
        try connection.declareQueue(deadQueue, durable: true, arguments: ["x-queue-type": .string(queueType.rawValue)])
        try connection.bindQueue(deadQueue, exchange: dead)
        var arguments: AMQPTable = ["x-queue-type": .string(queueType.rawValue), "x-dead-letter-exchange": .string(dead)]
        // A message that keeps failing (the service crashes on it) is dead-lettered by the
        // broker after five deliveries instead of looping forever. Only quorum queues count.
        if queueType == .quorum { arguments["x-delivery-limit"] = .int(5) }
        try connection.declareQueue(requests, durable: true, arguments: arguments)
        try connection.declareQueue(control, durable: true, arguments: arguments)
    }

    /// Removes everything (tests and tools that use a throwaway prefix).
    public func delete(on connection: AMQPConnection) throws(AMQPError) {
        for queue in [requests, control, deadQueue] { try connection.deleteQueue(queue) }
        for exchange in [events, dead] { try connection.deleteExchange(exchange) }
    }
}
