import GRDB
import SwitchboardCore

// Row → model mapping and the lookups every unit of work shares.

extension Timestamp {
    init?(_ value: Int64?) {
        guard let value else { return nil }
        self.init(milliseconds: value)
    }
}

enum Records {
    static let operatorColumns = "id, name, is_active, max_load_limit, current_load, created_at, presence"
    static let requestColumns = "id, user_id, source_id, operator_id, message, status, created_at, assigned_at, closed_at, offer_expires_at"

    static func makeOperator(_ row: Row) -> Operator {
        Operator(id: row[0], name: row[1], isActive: row[2], maxLoadLimit: row[3], currentLoad: row[4],
                 createdAt: Timestamp(milliseconds: row[5]), presence: Presence(rawValue: row[6]) ?? .available)
    }

    static func makeRequest(_ row: Row, offset: Int = 0) -> Request {
        Request(
            id: row[offset], userId: row[offset + 1], sourceId: row[offset + 2], operatorId: row[offset + 3],
            message: row[offset + 4], status: RequestStatus(rawValue: row[offset + 5]) ?? .waiting,
            createdAt: Timestamp(milliseconds: row[offset + 6]), assignedAt: Timestamp(row[offset + 7] as Int64?),
            closedAt: Timestamp(row[offset + 8] as Int64?), offerExpiresAt: Timestamp(row[offset + 9] as Int64?))
    }

    static func fetchOperator(_ id: Int64, _ db: Database) throws -> Operator? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(operatorColumns) FROM operators WHERE id = ?"), arguments: [id])
            .map(makeOperator)
    }

    static func requireOperator(_ id: Int64, field: String, _ db: Database) throws -> Operator {
        guard let found = try fetchOperator(id, db) else { throw CommandError.notFound("operator", id, field: field) }
        return found
    }

    static func fetchSource(_ id: Int64, _ db: Database) throws -> Source? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, name, identifier, created_at, offer_timeout_seconds FROM sources WHERE id = ?"),
            arguments: [id])
        else { return nil }
        return Source(id: row[0], name: row[1], identifier: row[2], createdAt: Timestamp(milliseconds: row[3]),
                      weights: try weights(of: id, db), offerTimeoutSeconds: row[4])
    }

    static func weights(of sourceId: Int64, _ db: Database) throws -> [Weight] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT operator_id, weight FROM weights WHERE source_id = ? ORDER BY operator_id"),
            arguments: [sourceId]
        ).map { Weight(operatorId: $0[0], weight: $0[1]) }
    }

    static func fetchRequest(_ id: Int64, _ db: Database) throws -> Request? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(requestColumns) FROM requests WHERE id = ?"), arguments: [id])
            .map { makeRequest($0) }
    }

    static func requireRequest(_ id: Int64, _ db: Database) throws -> Request {
        guard let found = try fetchRequest(id, db) else { throw CommandError.notFound("request", id, field: "id") }
        return found
    }

    /// A request with its user, source and operator spelled out (`request.get`, the archive);
    /// the caller adds its WHERE.
    static let detailSelect = """
        SELECT r.id, r.user_id, r.source_id, r.operator_id, r.message, r.status, r.created_at, r.assigned_at, r.closed_at,
               r.offer_expires_at, u.identifier, s.name, s.identifier, o.name
        FROM requests r JOIN users u ON u.id = r.user_id JOIN sources s ON s.id = r.source_id
        LEFT JOIN operators o ON o.id = r.operator_id
        """

    static func makeDetail(_ row: Row) -> RequestDetail {
        let request = makeRequest(row)
        return RequestDetail(
            request: request, user: User(id: request.userId, identifier: row[10]),
            source: .init(id: request.sourceId, name: row[11], identifier: row[12]),
            operator: request.operatorId.map { RequestDetail.OperatorRef(id: $0, name: row[13]) })
    }

    /// The request with the names its events carry, in one read (the accept path's).
    static func fetchRequestForEvent(_ id: Int64, _ db: Database) throws -> (request: Request, user: String, source: String, messageId: String?)? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT r.id, r.user_id, r.source_id, r.operator_id, r.message, r.status, r.created_at, r.assigned_at, r.closed_at,
                       r.offer_expires_at, u.identifier, s.identifier, r.message_id
                FROM requests r JOIN users u ON u.id = r.user_id JOIN sources s ON s.id = r.source_id
                WHERE r.id = ?
                """),
            arguments: [id])
        else { return nil }
        return (makeRequest(row), row[10], row[11], row[12])
    }

    /// Names an event needs beside the request: the user's and source's identifiers and the
    /// operator's name.
    static func eventNames(for request: Request, _ db: Database) throws -> (user: String, source: String, operator: String?, messageId: String?) {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT u.identifier, s.identifier, o.name, r.message_id
                FROM requests r JOIN users u ON u.id = r.user_id JOIN sources s ON s.id = r.source_id
                LEFT JOIN operators o ON o.id = r.operator_id
                WHERE r.id = ?
                """),
            arguments: [request.id])!
        return (row[0], row[1], row[2], row[3])
    }
}
