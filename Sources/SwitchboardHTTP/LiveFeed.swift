import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization
import SwitchboardService
import SwitchboardStore

/// What the dashboard's feed sends as `event: floor`: the floor, the last minutes of
/// traffic, and where the service stands.
struct FloorFrame: Encodable {
    var floor: FloorSnapshot?
    var activity: [Activity.Sample]
    var status: String
    var role: String?
    var error: String?
}

/// The dashboard's live feed as Server-Sent Events: every event the broker confirmed, as it
/// happened (`event: <name>`), and a fresh `floor` frame after each burst of them and every
/// second or so otherwise. Four flushes a second at most, whatever the traffic, so a busy
/// floor costs a watcher a bounded number of reads.
struct LiveFeed: Sendable {
    let feed: EventFeed
    let frame: @Sendable () -> FloorFrame
    static let flushInterval = Duration.milliseconds(250)
    /// Events a flush sends at most; beyond that the floor frame says where things stand.
    static let eventsPerFlush = 200

    func response() -> Response {
        let stream = feed.listen()
        let frame = frame
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                let pending = PendingEvents()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await batch in stream {
                            pending.events.withLock { events in
                                events += batch.suffix(Self.eventsPerFlush)
                                if events.count > Self.eventsPerFlush * 2 { events.removeFirst(events.count - Self.eventsPerFlush) }
                            }
                        }
                    }
                    try await writer.write(Self.encode(frame()))
                    var quietFlushes = 0
                    // Ends when the client goes (the write throws), or on shutdown.
                    while !Task.isCancelled, !Task.isShuttingDownGracefully {
                        try await Task.sleep(for: Self.flushInterval)
                        let events = pending.events.withLock { events in defer { events = [] }; return events }
                        var buffer = ByteBuffer()
                        for event in events.suffix(Self.eventsPerFlush) {
                            buffer.writeString("event: \(event.routingKey)\ndata: ")
                            buffer.writeBytes(event.body)
                            buffer.writeString("\n\n")
                        }
                        quietFlushes += 1
                        if !events.isEmpty || quietFlushes >= 4 {
                            buffer.writeImmutableBuffer(Self.encode(frame()))
                            quietFlushes = 0
                        }
                        try await writer.write(buffer)
                    }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }

    static func encode(_ frame: FloorFrame) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var buffer = ByteBuffer(string: "event: floor\ndata: ")
        buffer.writeBytes((try? encoder.encode(frame)) ?? Data("{}".utf8))
        buffer.writeString("\n\n")
        return buffer
    }
}

/// Events received for one watcher since its last flush.
final class PendingEvents: Sendable {
    let events = Mutex<[FeedEvent]>([])
}
