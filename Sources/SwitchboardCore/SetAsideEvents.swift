/// `events.list_set_aside`'s arguments: a page of the events set aside, oldest first.
public struct SetAsideFilter: Sendable, Equatable {
    public var limit: Int
    public var routingKey: String?
    /// The last event of the page before: the page starts after it.
    public var afterEventId: String?

    public init(limit: Int = Limits.defaultListLimit, routingKey: String? = nil, afterEventId: String? = nil) {
        self.limit = limit
        self.routingKey = routingKey
        self.afterEventId = afterEventId
    }

    static func read(_ r: inout FieldReader) -> SetAsideFilter {
        SetAsideFilter(
            limit: r.integer("limit", in: Limits.listLimit, required: false) ?? Limits.defaultListLimit,
            routingKey: r.text("routing_key", maxLength: Limits.nameLength, required: false),
            afterEventId: r.text("after_event_id", maxLength: Limits.nameLength, required: false))
    }
}

/// `events.resend`'s arguments: which set-aside events to publish again. Every filter given
/// must hold; `all` is required to take every one, so that no filter left out by mistake
/// resends a whole outage.
public struct ResendSelection: Sendable, Equatable {
    public var routingKey: String?
    /// When they were set aside, `since` inclusive, `until` exclusive.
    public var since: Timestamp?
    public var until: Timestamp?
    public var eventIds: [String]?

    public init(routingKey: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil, eventIds: [String]? = nil) {
        self.routingKey = routingKey
        self.since = since
        self.until = until
        self.eventIds = eventIds
    }

    public static let all = ResendSelection()

    static func read(_ r: inout FieldReader) -> ResendSelection {
        let all = r.bool("all") ?? false
        var selection = ResendSelection(
            routingKey: r.text("routing_key", maxLength: Limits.nameLength, required: false),
            since: r.timestamp("since", required: false), until: r.timestamp("until", required: false))
        if let items = r.array("event_ids", required: false) {
            if !Limits.listLimit.contains(items.count) {
                r.problem("event_ids", "must hold 1 to \(Limits.listLimit.upperBound) event ids, got \(items.count)")
            }
            selection.eventIds = items.enumerated().compactMap { index, item in
                guard case let .string(id) = item, !id.isEmpty else {
                    r.problem("event_ids[\(index)]", "must be an event id (a non-empty string), got \(item.kindName)")
                    return nil
                }
                return id
            }
        }
        if let since = selection.since, let until = selection.until, since > until {
            r.problem("since", "must not be after until (\(until))")
        }
        if all, selection != .all {
            r.problem("all", "takes every set-aside event: give it alone, or the filters without it")
        } else if !all, selection == .all, r.problems.isEmpty {
            r.problem("all", "is required (true) to resend every set-aside event; or give routing_key, since, until or event_ids")
        }
        return selection
    }
}

/// An event set aside after the broker kept refusing it for SWITCHBOARD_EVENT_RETRY_FOR.
public struct SetAsideEvent: Sendable, Equatable, Codable {
    public var eventId: String
    public var routingKey: String
    public var correlationId: String?
    public var setAsideAt: Timestamp
    /// The event as it would have been published.
    public var event: JSONValue

    public init(eventId: String, routingKey: String, correlationId: String?, setAsideAt: Timestamp, event: JSONValue) {
        self.eventId = eventId
        self.routingKey = routingKey
        self.correlationId = correlationId
        self.setAsideAt = setAsideAt
        self.event = event
    }

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", routingKey = "routing_key", correlationId = "correlation_id", setAsideAt = "set_aside_at", event
    }
}

/// `events.resend`'s result: how many events went back to be published, and how many that
/// matched are left for another call (at most ``Limits/resendBatch`` go at a time).
public struct Resent: Sendable, Equatable, Codable {
    public var resent: Int
    public var remaining: Int

    public init(resent: Int, remaining: Int) {
        self.resent = resent
        self.remaining = remaining
    }
}
