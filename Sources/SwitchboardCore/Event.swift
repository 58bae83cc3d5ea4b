import Foundation

/// The events Switchboard publishes; the raw value is both the `event` field and the
/// routing key.
public enum EventName: String, Sendable, Codable, CaseIterable {
    case requestAssigned = "request.assigned"
    case requestWaiting = "request.waiting"
    case requestClosed = "request.closed"
    case requestOffered = "request.offered"
    case requestOfferDeclined = "request.offer_declined"
    case operatorPresenceChanged = "operator.presence_changed"
    case requestEscalated = "request.escalated"
    case requestRelaxed = "request.relaxed"
    case requestTransferred = "request.transferred"
}

/// How a request's operator was chosen, on `request.offered` and `request.assigned`.
public enum Route: String, Sendable, Codable, CaseIterable {
    case weighted, sticky, overflow, manual
    case waitingLine = "waiting_line"
    case leastLoaded = "least_loaded"
    case longestIdle = "longest_idle"
}

/// How an offer ended without being accepted.
public enum DeclineReason: String, Sendable, Codable, CaseIterable {
    case rejected, expired, withdrawn
}

/// `request.offer_declined`'s own fields: whose offer ended, and how.
public struct Decline: Sendable, Equatable {
    public var operatorId: Int64
    public var reason: DeclineReason
    /// What the operator gave as the reason, when rejecting.
    public var rejectionReason: String?

    public init(operatorId: Int64, reason: DeclineReason, rejectionReason: String? = nil) {
        self.operatorId = operatorId
        self.reason = reason
        self.rejectionReason = rejectionReason
    }
}

/// The request as an event carries it: the request shape plus the names a console shows.
public struct EventRequest: Sendable, Equatable, Codable {
    public var request: Request
    public var userIdentifier: String
    public var sourceIdentifier: String
    public var operatorName: String?

    public init(request: Request, userIdentifier: String, sourceIdentifier: String, operatorName: String?) {
        self.request = request
        self.userIdentifier = userIdentifier
        self.sourceIdentifier = sourceIdentifier
        self.operatorName = operatorName
    }

    enum CodingKeys: String, CodingKey {
        case userIdentifier = "user_identifier", sourceIdentifier = "source_identifier", operatorName = "operator_name"
    }

    public init(from decoder: any Decoder) throws {
        request = try Request(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        userIdentifier = try c.decode(String.self, forKey: .userIdentifier)
        sourceIdentifier = try c.decode(String.self, forKey: .sourceIdentifier)
        operatorName = try c.decodeIfPresent(String.self, forKey: .operatorName)
    }

    public func encode(to encoder: any Encoder) throws {
        try request.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(userIdentifier, forKey: .userIdentifier)
        try c.encode(sourceIdentifier, forKey: .sourceIdentifier)
        try c.encode(operatorName, forKey: .operatorName)
    }
}

/// An event about a request (every `request.*` event).
public struct Event: Sendable, Equatable, Codable {
    public var event: EventName
    public var eventId: String
    /// Grows with each event the store writes, kept when an event is published again: a
    /// console that has shown a later event of the request keeps that one. Absent only on
    /// events set aside by a version before it.
    public var sequence: Int64?
    public var occurredAt: Timestamp
    public var request: EventRequest
    /// On `request.offered` and `request.assigned`.
    public var route: Route?
    /// On `request.escalated`: how long the request had waited since it was created.
    public var waitedMs: Int64?
    /// On `request.offer_declined`, written as its top-level `operator_id`, `reason` and
    /// `rejection_reason`.
    public var decline: Decline?
    /// On `request.relaxed`: the skills dropped now.
    public var dropped: [String]?
    /// On `request.waiting`, when some requirement in force is met by no operator at all.
    public var unmatched: [String]?
    /// On `request.waiting`: why it waits, written as its top-level `reason` (and `opens_at`).
    public var waiting: Waiting?
    /// On `request.transferred`: `from_operator_id`, `to_operator_id` and `reason`.
    public var transfer: TransferNote?

    public init(event: EventName, eventId: String = UUID().uuidString.lowercased(), sequence: Int64? = nil, occurredAt: Timestamp,
                request: EventRequest, route: Route? = nil, waitedMs: Int64? = nil, decline: Decline? = nil,
                dropped: [String]? = nil, unmatched: [String]? = nil, waiting: Waiting? = nil, transfer: TransferNote? = nil) {
        self.waiting = waiting
        self.transfer = transfer
        self.dropped = dropped
        self.unmatched = unmatched
        self.event = event
        self.eventId = eventId
        self.sequence = sequence
        self.occurredAt = occurredAt
        self.request = request
        self.route = route
        self.waitedMs = waitedMs
        self.decline = decline
    }

    enum CodingKeys: String, CodingKey {
        case event, eventId = "event_id", sequence, occurredAt = "occurred_at", request, route, waitedMs = "waited_ms"
        case operatorId = "operator_id", reason, rejectionReason = "rejection_reason", dropped, unmatched, opensAt = "opens_at"
        case fromOperatorId = "from_operator_id", toOperatorId = "to_operator_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        event = try c.decode(EventName.self, forKey: .event)
        eventId = try c.decode(String.self, forKey: .eventId)
        sequence = try c.decodeIfPresent(Int64.self, forKey: .sequence)
        occurredAt = try c.decode(Timestamp.self, forKey: .occurredAt)
        request = try c.decode(EventRequest.self, forKey: .request)
        route = try c.decodeIfPresent(Route.self, forKey: .route)
        waitedMs = try c.decodeIfPresent(Int64.self, forKey: .waitedMs)
        dropped = try c.decodeIfPresent([String].self, forKey: .dropped)
        unmatched = try c.decodeIfPresent([String].self, forKey: .unmatched)
        if event == .requestTransferred {
            transfer = TransferNote(fromOperatorId: try c.decode(Int64.self, forKey: .fromOperatorId),
                                    toOperatorId: try c.decodeIfPresent(Int64.self, forKey: .toOperatorId),
                                    reason: try c.decodeIfPresent(String.self, forKey: .reason))
        } else if event == .requestWaiting {
            // Events written before reasons existed carry none.
            if let reason = try c.decodeIfPresent(WaitingReason.self, forKey: .reason) {
                waiting = Waiting(reason: reason, opensAt: try c.decodeIfPresent(Timestamp.self, forKey: .opensAt))
            }
        } else if let reason = try c.decodeIfPresent(DeclineReason.self, forKey: .reason) {
            decline = Decline(operatorId: try c.decode(Int64.self, forKey: .operatorId), reason: reason,
                              rejectionReason: try c.decodeIfPresent(String.self, forKey: .rejectionReason))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(event, forKey: .event)
        try c.encode(eventId, forKey: .eventId)
        try c.encodeIfPresent(sequence, forKey: .sequence)
        try c.encode(occurredAt, forKey: .occurredAt)
        try c.encode(request, forKey: .request)
        try c.encodeIfPresent(route, forKey: .route)
        try c.encodeIfPresent(waitedMs, forKey: .waitedMs)
        try c.encodeIfPresent(dropped, forKey: .dropped)
        try c.encodeIfPresent(unmatched, forKey: .unmatched)
        if let transfer {
            try c.encode(transfer.fromOperatorId, forKey: .fromOperatorId)
            try c.encode(transfer.toOperatorId, forKey: .toOperatorId)
            try c.encode(transfer.reason, forKey: .reason)
        }
        if let waiting {
            try c.encode(waiting.reason, forKey: .reason)
            try c.encodeIfPresent(waiting.opensAt, forKey: .opensAt)
        }
        if let decline {
            try c.encode(decline.operatorId, forKey: .operatorId)
            try c.encode(decline.reason, forKey: .reason)
            try c.encode(decline.rejectionReason, forKey: .rejectionReason)
        }
    }
}

/// Why a request waits.
public enum WaitingReason: String, Sendable, Codable, CaseIterable {
    case noEligibleOperator = "no_eligible_operator"
    /// Its source is closed: it is routed when the source opens (`opens_at`).
    case afterHours = "after_hours"
    /// Some requirement in force is met by no operator at all (`unmatched`).
    case unmatched
}

public struct Waiting: Sendable, Equatable {
    public var reason: WaitingReason
    /// After hours: when the source opens (absent when it never does within a year).
    public var opensAt: Timestamp?

    public init(reason: WaitingReason, opensAt: Timestamp? = nil) {
        self.reason = reason
        self.opensAt = opensAt
    }
}

/// Why an operator's presence changed.
public enum PresenceChangeReason: String, Sendable, Codable, CaseIterable {
    case command
    /// Offers in a row expired (`SWITCHBOARD_AWAY_AFTER_MISSED`).
    case missedOffers = "missed_offers"
}

/// `operator.presence_changed`.
public struct PresenceEvent: Sendable, Equatable, Codable {
    public var event: EventName = .operatorPresenceChanged
    public var eventId: String
    /// As ``Event/sequence``.
    public var sequence: Int64?
    public var occurredAt: Timestamp
    public var `operator`: Operator
    public var previousPresence: Presence
    public var reason: PresenceChangeReason

    public init(eventId: String, sequence: Int64? = nil, occurredAt: Timestamp, operator: Operator, previousPresence: Presence,
                reason: PresenceChangeReason) {
        self.eventId = eventId
        self.sequence = sequence
        self.occurredAt = occurredAt
        self.operator = `operator`
        self.previousPresence = previousPresence
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case event, eventId = "event_id", sequence, occurredAt = "occurred_at", `operator`, previousPresence = "previous_presence", reason
    }
}
