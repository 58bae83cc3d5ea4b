import Foundation
import Synchronization
import SwitchboardStore

/// One event as the live feed carries it: its name and the JSON consoles receive.
public struct FeedEvent: Sendable {
    public var routingKey: String
    public var body: [UInt8]
}

/// Hands the events the broker confirmed to whoever listens (the dashboard's live feed),
/// beside the writer, never in its way: a batch's events go as one item, and each listener
/// has a bounded buffer that keeps the newest batches, so a slow or stalled listener loses
/// old events instead of holding the writer. With no listener the writer pays one
/// uncontended lock per batch.
public final class EventFeed: Sendable {
    private let listeners = Mutex<[UUID: AsyncStream<[FeedEvent]>.Continuation]>([:])
    /// Batches a listener may fall behind by before the oldest are dropped.
    public static let bufferLimit = 64

    public init() {}

    /// A stream of the events confirmed from now on; it ends when the consumer stops
    /// iterating (the HTTP client went away).
    public func listen() -> AsyncStream<[FeedEvent]> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: [FeedEvent].self, bufferingPolicy: .bufferingNewest(Self.bufferLimit))
        continuation.onTermination = { [weak self] _ in _ = self?.listeners.withLock { $0.removeValue(forKey: id) } }
        listeners.withLock { $0[id] = continuation }
        return stream
    }

    func publish(_ events: [OutboxEvent]) {
        let continuations = listeners.withLock { Array($0.values) }
        guard !continuations.isEmpty, !events.isEmpty else { return }
        let batch = events.map { FeedEvent(routingKey: $0.routingKey, body: $0.body) }
        for continuation in continuations { continuation.yield(batch) }
    }
}
