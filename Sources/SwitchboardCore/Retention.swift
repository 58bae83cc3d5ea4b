/// `request.purge`'s result, and what the writer's retention reports of each round.
public struct PurgeSummary: Sendable, Equatable, Codable {
    /// Requests written to the archive (with `dry_run`, that would be).
    public var archived: Int
    /// Requests deleted; always equal to `archived`, which is the guarantee.
    public var purged: Int
    /// The archive files written to, by name (`requests-YYYY-MM-DD.ndjson.gz`).
    public var files: [String]
    /// Closed requests before the time still stored: a purge takes ``Limits/purgeBatch`` at
    /// most, and another call takes the next (an extension of the contract).
    public var remaining: Int
    public var dryRun: Bool

    public init(archived: Int, purged: Int, files: [String], remaining: Int, dryRun: Bool = false) {
        self.archived = archived
        self.purged = purged
        self.files = files
        self.remaining = remaining
        self.dryRun = dryRun
    }

    enum CodingKeys: String, CodingKey {
        case archived, purged, files, remaining, dryRun = "dry_run"
    }
}

/// One offer a request had, as the archive keeps it: to whom, when, and how it ended.
public struct OfferRecord: Sendable, Equatable, Codable {
    public var operatorId: Int64
    public var offeredAt: Timestamp
    public var expiresAt: Timestamp
    /// accepted, rejected, expired or withdrawn; nil only for an offer still out, which a
    /// closed request never has.
    public var outcome: String?
    public var endedAt: Timestamp?

    public init(operatorId: Int64, offeredAt: Timestamp, expiresAt: Timestamp, outcome: String?, endedAt: Timestamp?) {
        self.operatorId = operatorId
        self.offeredAt = offeredAt
        self.expiresAt = expiresAt
        self.outcome = outcome
        self.endedAt = endedAt
    }

    enum CodingKeys: String, CodingKey {
        case operatorId = "operator_id", offeredAt = "offered_at", expiresAt = "expires_at", outcome, endedAt = "ended_at"
    }

    /// Every key always, null where unknown: a line reads the same whatever the offer's state.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(operatorId, forKey: .operatorId)
        try c.encode(offeredAt, forKey: .offeredAt)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(endedAt, forKey: .endedAt)
    }
}

/// A line of the archive: the request detail of `request.get`, its offers, and when it was
/// archived.
public struct ArchivedRequest: Sendable, Equatable, Codable {
    public var detail: RequestDetail
    public var offers: [OfferRecord]
    public var archivedAt: Timestamp

    public init(detail: RequestDetail, offers: [OfferRecord], archivedAt: Timestamp) {
        self.detail = detail
        self.offers = offers
        self.archivedAt = archivedAt
    }

    enum CodingKeys: String, CodingKey {
        case offers, archivedAt = "archived_at"
    }

    public init(from decoder: any Decoder) throws {
        detail = try RequestDetail(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        offers = try c.decode([OfferRecord].self, forKey: .offers)
        archivedAt = try c.decode(Timestamp.self, forKey: .archivedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        try detail.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(offers, forKey: .offers)
        try c.encode(archivedAt, forKey: .archivedAt)
    }
}
