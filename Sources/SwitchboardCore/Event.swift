import Foundation

/// The events Switchboard publishes; the raw value is both the `event` field and the
/// routing key.
public enum EventName: String, Sendable, Codable, CaseIterable {
    case requestAssigned = "request.assigned"
    case requestWaiting = "request.waiting"
    case requestClosed = "request.closed"
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

public struct Event: Sendable, Equatable, Codable {
    public var event: EventName
    public var eventId: String
    public var occurredAt: Timestamp
    public var request: EventRequest

    public init(event: EventName, eventId: String = UUID().uuidString.lowercased(), occurredAt: Timestamp, request: EventRequest) {
        self.event = event
        self.eventId = eventId
        self.occurredAt = occurredAt
        self.request = request
    }

    enum CodingKeys: String, CodingKey {
        case event, eventId = "event_id", occurredAt = "occurred_at", request
    }
}
