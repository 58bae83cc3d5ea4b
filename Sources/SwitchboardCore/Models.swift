/// The contract's shapes (../shared/CONTRACT.md, "Shapes"). Ids are positive integers;
/// times are ``Timestamp``s. Optional fields are written as explicit `null`, as the contract
/// shows them, which is why several types spell out `encode(to:)`.

public struct Weight: Sendable, Equatable, Hashable, Codable {
    public var operatorId: Int64
    public var weight: Int

    public init(operatorId: Int64, weight: Int) {
        self.operatorId = operatorId
        self.weight = weight
    }

    enum CodingKeys: String, CodingKey {
        case operatorId = "operator_id", weight
    }
}

public struct User: Sendable, Equatable, Codable {
    public var id: Int64
    public var identifier: String

    public init(id: Int64, identifier: String) {
        self.id = id
        self.identifier = identifier
    }
}

public enum RequestStatus: String, Sendable, Codable, CaseIterable {
    /// `offered`: on offer to `operator_id` until it accepts, rejects, or `offer_expires_at` passes.
    case waiting, offered, assigned, closed
}

public struct Request: Sendable, Equatable, Codable {
    public var id: Int64
    public var userId: Int64
    public var sourceId: Int64
    public var operatorId: Int64?
    public var message: String
    public var status: RequestStatus
    public var createdAt: Timestamp
    public var assignedAt: Timestamp?
    public var closedAt: Timestamp?
    /// Only while `offered`; the field is absent otherwise, so nothing changes for clients
    /// of sources without offers.
    public var offerExpiresAt: Timestamp?
    /// 0…9, higher served first.
    public var priority: Int
    /// When it waited past its source's `max_wait_seconds`; absent until then.
    public var escalatedAt: Timestamp?
    /// The requirements that apply to it (from intake, else its source's at intake).
    public var requires: [Requirement]
    /// Skills of `requires` dropped so far, having waited their `relax_after_seconds`.
    public var relaxed: [String]
    /// Until when its operator's slot stays taken after it closed (ended early when the
    /// operator ends the wrap-up); nil when it had none.
    public var wrapUpUntil: Timestamp?
    /// Times it was transferred, and its first assignment (what the service level measures).
    public var transferCount: Int
    public var firstAssignedAt: Timestamp?

    public init(
        id: Int64, userId: Int64, sourceId: Int64, operatorId: Int64?, message: String, status: RequestStatus,
        createdAt: Timestamp, assignedAt: Timestamp?, closedAt: Timestamp?, offerExpiresAt: Timestamp? = nil,
        priority: Int = 0, escalatedAt: Timestamp? = nil, requires: [Requirement] = [], relaxed: [String] = [],
        wrapUpUntil: Timestamp? = nil, transferCount: Int = 0, firstAssignedAt: Timestamp? = nil
    ) {
        self.wrapUpUntil = wrapUpUntil
        self.transferCount = transferCount
        self.firstAssignedAt = firstAssignedAt
        self.requires = requires
        self.relaxed = relaxed
        self.priority = priority
        self.escalatedAt = escalatedAt
        self.id = id
        self.userId = userId
        self.sourceId = sourceId
        self.operatorId = operatorId
        self.message = message
        self.status = status
        self.createdAt = createdAt
        self.assignedAt = assignedAt
        self.closedAt = closedAt
        self.offerExpiresAt = offerExpiresAt
    }

    enum CodingKeys: String, CodingKey {
        case id, userId = "user_id", sourceId = "source_id", operatorId = "operator_id", message, status
        case createdAt = "created_at", assignedAt = "assigned_at", closedAt = "closed_at", offerExpiresAt = "offer_expires_at"
        case priority, escalatedAt = "escalated_at", requires, relaxed, wrapUpUntil = "wrap_up_until"
        case transferCount = "transfer_count", firstAssignedAt = "first_assigned_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(Int64.self, forKey: .id), userId: try c.decode(Int64.self, forKey: .userId),
            sourceId: try c.decode(Int64.self, forKey: .sourceId), operatorId: try c.decodeIfPresent(Int64.self, forKey: .operatorId),
            message: try c.decode(String.self, forKey: .message), status: try c.decode(RequestStatus.self, forKey: .status),
            createdAt: try c.decode(Timestamp.self, forKey: .createdAt),
            assignedAt: try c.decodeIfPresent(Timestamp.self, forKey: .assignedAt),
            closedAt: try c.decodeIfPresent(Timestamp.self, forKey: .closedAt),
            offerExpiresAt: try c.decodeIfPresent(Timestamp.self, forKey: .offerExpiresAt),
            // Absent from requests stored before priorities existed (archives, old replies).
            priority: try c.decodeIfPresent(Int.self, forKey: .priority) ?? 0,
            escalatedAt: try c.decodeIfPresent(Timestamp.self, forKey: .escalatedAt),
            // Absent from requests stored before competencies existed.
            requires: try c.decodeIfPresent([Requirement].self, forKey: .requires) ?? [],
            relaxed: try c.decodeIfPresent([String].self, forKey: .relaxed) ?? [],
            wrapUpUntil: try c.decodeIfPresent(Timestamp.self, forKey: .wrapUpUntil),
            transferCount: try c.decodeIfPresent(Int.self, forKey: .transferCount) ?? 0,
            firstAssignedAt: try c.decodeIfPresent(Timestamp.self, forKey: .firstAssignedAt))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(userId, forKey: .userId)
        try c.encode(sourceId, forKey: .sourceId)
        try c.encode(operatorId, forKey: .operatorId)
        try c.encode(message, forKey: .message)
        try c.encode(status, forKey: .status)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(assignedAt, forKey: .assignedAt)
        try c.encode(closedAt, forKey: .closedAt)
        try c.encodeIfPresent(offerExpiresAt, forKey: .offerExpiresAt)
        try c.encode(priority, forKey: .priority)
        try c.encodeIfPresent(escalatedAt, forKey: .escalatedAt)
        try c.encode(requires, forKey: .requires)
        try c.encode(relaxed, forKey: .relaxed)
        try c.encode(wrapUpUntil, forKey: .wrapUpUntil)
        try c.encode(transferCount, forKey: .transferCount)
        try c.encode(firstAssignedAt, forKey: .firstAssignedAt)
    }
}

/// `request.get`'s result: the request with its user, source and operator spelled out.
public struct RequestDetail: Sendable, Equatable, Codable {
    public struct SourceRef: Sendable, Equatable, Codable {
        public var id: Int64
        public var name: String
        public var identifier: String
        public init(id: Int64, name: String, identifier: String) {
            self.id = id
            self.name = name
            self.identifier = identifier
        }
    }

    public struct OperatorRef: Sendable, Equatable, Codable {
        public var id: Int64
        public var name: String
        public init(id: Int64, name: String) {
            self.id = id
            self.name = name
        }
    }

    public var request: Request
    public var user: User
    public var source: SourceRef
    public var `operator`: OperatorRef?

    public init(request: Request, user: User, source: SourceRef, operator: OperatorRef?) {
        self.request = request
        self.user = user
        self.source = source
        self.operator = `operator`
    }

    enum CodingKeys: String, CodingKey {
        case user, source, `operator`
    }

    public init(from decoder: any Decoder) throws {
        request = try Request(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        user = try c.decode(User.self, forKey: .user)
        source = try c.decode(SourceRef.self, forKey: .source)
        `operator` = try c.decodeIfPresent(OperatorRef.self, forKey: .operator)
    }

    public func encode(to encoder: any Encoder) throws {
        try request.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(user, forKey: .user)
        try c.encode(source, forKey: .source)
        try c.encode(`operator`, forKey: .operator)
    }
}

public struct OperatorsLoad: Sendable, Equatable, Codable {
    public var operators: [OperatorLoad]
    public init(operators: [OperatorLoad]) { self.operators = operators }
}

public struct RequestsDistribution: Sendable, Equatable, Codable {
    public struct ByOperator: Sendable, Equatable, Codable {
        public var operatorId: Int64
        public var operatorName: String
        public var requestCount: Int
        public init(operatorId: Int64, operatorName: String, requestCount: Int) {
            self.operatorId = operatorId
            self.operatorName = operatorName
            self.requestCount = requestCount
        }
        enum CodingKeys: String, CodingKey {
            case operatorId = "operator_id", operatorName = "operator_name", requestCount = "request_count"
        }
    }

    public struct BySource: Sendable, Equatable, Codable {
        public var sourceId: Int64
        public var sourceName: String
        public var requestCount: Int
        public init(sourceId: Int64, sourceName: String, requestCount: Int) {
            self.sourceId = sourceId
            self.sourceName = sourceName
            self.requestCount = requestCount
        }
        enum CodingKeys: String, CodingKey {
            case sourceId = "source_id", sourceName = "source_name", requestCount = "request_count"
        }
    }

    public var byOperator: [ByOperator]
    public var bySource: [BySource]
    /// Requests with no operator: waiting ones, and closed ones that never had one.
    public var unassignedCount: Int

    public init(byOperator: [ByOperator], bySource: [BySource], unassignedCount: Int) {
        self.byOperator = byOperator
        self.bySource = bySource
        self.unassignedCount = unassignedCount
    }

    enum CodingKeys: String, CodingKey {
        case byOperator = "by_operator", bySource = "by_source", unassignedCount = "unassigned_count"
    }
}

public struct ServiceStatus: Sendable, Equatable, Codable {
    public var status: String
    public var version: String
    public var uptimeSeconds: Double
    public var waitingCount: Int
    public var outboxPending: Int
    /// Running totals since start (an extension of the contract): accepted requests,
    /// duplicates, dead letters, commands, batches, events published, reconnects.
    public var counters: [String: Int]?
    /// `active`: only the active instance consumes commands, so only it answers this.
    public var role: String?
    /// The database's identity, which the prefix is bound to on the broker.
    public var storeId: String?
    /// Events the broker kept refusing for SWITCHBOARD_EVENT_RETRY_FOR, set aside since start.
    public var eventsSetAside: Int?
    /// Events the broker refused that are being published again until it takes them.
    public var eventsRetrying: Int?
    /// Requests on offer, not yet accepted.
    public var offeredCount: Int?
    /// The broker node the service is connected to, password hidden.
    public var broker: String?
    /// How long a processed message id is remembered (SWITCHBOARD_DEDUPE_WINDOW).
    public var dedupeWindowSeconds: Int64?
    /// Waiting requests that need a skill no operator has at the level required.
    public var unmatchedWaiting: Int?
    /// Age of the oldest message id remembered; 0 when none is.
    public var oldestKeyAgeSeconds: Double?
    /// Requests archived and deleted over the database's life: stored plus purged is every
    /// request ever taken in (`stats.requests_distribution` counts the stored ones).
    public var requestsPurged: Int?
    /// How long closed requests are kept (SWITCHBOARD_RETAIN_CLOSED); absent when kept forever.
    public var retainClosedSeconds: Int64?

    public init(status: String = "ok", version: String, uptimeSeconds: Double, waitingCount: Int, outboxPending: Int,
                counters: [String: Int]? = nil, role: String? = nil, storeId: String? = nil, eventsSetAside: Int? = nil,
                offeredCount: Int? = nil, oldestKeyAgeSeconds: Double? = nil, requestsPurged: Int? = nil,
                eventsRetrying: Int? = nil, unmatchedWaiting: Int? = nil) {
        self.unmatchedWaiting = unmatchedWaiting
        self.status = status
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.waitingCount = waitingCount
        self.outboxPending = outboxPending
        self.counters = counters
        self.role = role
        self.storeId = storeId
        self.eventsSetAside = eventsSetAside
        self.offeredCount = offeredCount
        self.oldestKeyAgeSeconds = oldestKeyAgeSeconds
        self.requestsPurged = requestsPurged
        self.eventsRetrying = eventsRetrying
    }

    enum CodingKeys: String, CodingKey {
        case status, version, uptimeSeconds = "uptime_seconds", waitingCount = "waiting_count"
        case outboxPending = "outbox_pending", counters, role, storeId = "store_id", eventsSetAside = "events_set_aside"
        case eventsRetrying = "events_retrying"
        case offeredCount = "offered_count", broker
        case dedupeWindowSeconds = "dedupe_window_seconds", oldestKeyAgeSeconds = "oldest_key_age_seconds"
        case requestsPurged = "requests_purged", retainClosedSeconds = "retain_closed_seconds"
        case unmatchedWaiting = "unmatched_waiting"
    }
}

public struct Deleted: Sendable, Equatable, Codable {
    public var deleted: Int64
    public init(deleted: Int64) { self.deleted = deleted }
}
