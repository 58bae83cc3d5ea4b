import CAMQPShims
import CRabbitMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Publisher-confirm bookkeeping for one channel: which sequence numbers the broker has not
/// yet acked, and what it nacked or returned meanwhile.
struct ConfirmTracker {
    var nextSequence: UInt64 = 1
    /// Ascending: sequence numbers are handed out in order.
    var unconfirmed: [UInt64] = []
    var unconfirmedStart = 0
    /// Sequence numbers the broker refused, in the order it said so.
    var nacked: [UInt64] = []
    var returned: [AMQPError] = []

    var outstanding: Int { unconfirmed.count - unconfirmedStart }

    mutating func published() -> UInt64 {
        defer { nextSequence += 1 }
        unconfirmed.append(nextSequence)
        return nextSequence
    }

    mutating func confirm(upTo tag: UInt64, multiple: Bool, nacked isNack: Bool) {
        if multiple {
            while unconfirmedStart < unconfirmed.count, unconfirmed[unconfirmedStart] <= tag {
                if isNack { nacked.append(unconfirmed[unconfirmedStart]) }
                unconfirmedStart += 1
            }
        } else if let index = unconfirmed[unconfirmedStart...].firstIndex(of: tag) {
            // Single acks almost always confirm the oldest outstanding message.
            unconfirmed.remove(at: index)
            if isNack { nacked.append(tag) }
        }
        if unconfirmedStart == unconfirmed.count {
            unconfirmed.removeAll(keepingCapacity: true)
            unconfirmedStart = 0
        }
    }
}

extension AMQPConnection {
    /// Puts the channel in confirm mode: from now on every publish on it is acked or nacked
    /// by the broker, and ``waitForConfirms(channel:timeout:)`` waits for those.
    public func enableConfirms(channel: UInt16 = 1) throws(AMQPError) {
        try ensureOpen()
        _ = amqp_confirm_select(state, channel)
        try checkReply("enabling publisher confirms", channel: channel)
        confirmTrackers[channel] = ConfirmTracker()
    }

    /// Sends a message. Returning only means the bytes reached the socket; on a confirm
    /// channel, call ``waitForConfirms(channel:timeout:)`` to know the broker has it.
    /// Returns the message's confirm sequence number (0 on a channel not in confirm mode).
    @discardableResult
    public func publish(
        exchange: String, routingKey: String, body: [UInt8], properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false, channel: UInt16 = 1
    ) throws(AMQPError) -> UInt64 {
        try ensureOpen()
        let arena = CArena()
        var cProperties = properties.cProperties(in: arena)
        let status = body.withUnsafeBytes { raw in
            amqp_basic_publish(
                state, channel, arena.bytes(exchange), arena.bytes(routingKey), mandatory ? 1 : 0, 0,
                &cProperties, amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(mutating: raw.baseAddress)))
        }
        try checkStatus(status, "publishing to '\(exchange)' with routing key '\(routingKey)'")
        return confirmTrackers[channel]?.published() ?? 0
    }

    /// How many publishes on the channel the broker has neither confirmed nor refused yet, as
    /// far as frames read so far tell (``pump()`` reads what has come); 0 without confirms.
    public func unconfirmedCount(channel: UInt16 = 1) -> Int { confirmTrackers[channel]?.outstanding ?? 0 }

    /// Waits until the broker has confirmed everything published on the channel so far.
    /// Throws `.nacked` if it refused any, `.returned` if a mandatory message found no queue,
    /// `.channelClosed` if it closed the channel (publishing to a missing exchange does that).
    public func waitForConfirms(channel: UInt16 = 1, timeout: Duration = .seconds(30)) throws(AMQPError) {
        let refused = try collectConfirms(channel: channel, timeout: timeout)
        if !refused.isEmpty { throw .nacked(count: refused.count) }
    }

    /// Waits until the broker has confirmed or refused everything published on the channel so
    /// far, and returns the sequence numbers it refused (nacked): a refusal is an answer about
    /// one message, not a failure of the connection. Throws `.returned` if a mandatory message
    /// found no queue, `.channelClosed` if the broker closed the channel.
    public func collectConfirms(channel: UInt16 = 1, timeout: Duration = .seconds(30)) throws(AMQPError) -> [UInt64] {
        try ensureOpen()
        guard confirmTrackers[channel] != nil else {
            throw .usage("waiting for confirms on channel \(channel), which is not in confirm mode (call enableConfirms first)")
        }
        let deadline = ContinuousClock.now + timeout
        var frame = amqp_frame_t()
        while let tracker = confirmTrackers[channel], tracker.outstanding > 0 {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw .timeout(operation: "publisher confirms") }
            var wait = timeval(remaining)
            let status = amqp_simple_wait_frame_noblock(state, &frame, &wait)
            if status == AMQP_STATUS_TIMEOUT.rawValue { continue }
            try checkStatus(status, "waiting for publisher confirms")
            try handleUnsolicited(frame, during: "publishing")
        }
        guard var tracker = confirmTrackers[channel] else { return [] }
        defer { confirmTrackers[channel] = tracker }
        let refused = tracker.nacked
        tracker.nacked = []
        if let returned = tracker.returned.first {
            tracker.returned.removeAll()
            throw returned
        }
        return refused
    }
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
