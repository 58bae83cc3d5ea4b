import SwitchboardCore

// SQLRow → model mapping and the lookups every unit of work shares.

extension Timestamp {
    init?(_ value: Int64?) {
        guard let value else { return nil }
        self.init(milliseconds: value)
    }
}

enum Records {
    /// What holds one of an operator's slots, as conditions on `requests r`: a request
    /// assigned or on offer, or one closed whose wrap-up runs. Two reads rather than one OR
    /// across two columns, which no index serves.
    static let slotHolding = ["(r.status = 'assigned' OR r.status = 'offered')", "r.wrap_up_due IS NOT NULL"]

    static let operatorColumns = "id, name, is_active, max_load_limit, current_load, created_at, presence, skills, capacity"
    static let requestColumns = """
        id, user_id, source_id, operator_id, message, status, created_at, assigned_at, closed_at, offer_expires_at, priority,
        escalated_at, requires, relaxed, wrap_up_until, transfer_count, COALESCE(first_assigned_at, assigned_at)
        """
    /// The number of columns ``makeRequest(_:offset:)`` reads.
    static let requestColumnCount = 17

    /// An operator without its `load_by_channel` (``loadsByChannel(of:_:)`` adds it).
    static func makeOperator(_ row: SQLRow) -> Operator {
        Operator(id: row[0], name: row[1], isActive: row[2], maxLoadLimit: row[3], currentLoad: row[4],
                 createdAt: Timestamp(milliseconds: row[5]), presence: Presence(rawValue: row[6]) ?? .available,
                 skills: CompetencyColumns.levels(row[7]), capacity: CompetencyColumns.levels(row[8]))
    }

    /// Operators' assigned and offered requests and running wrap-ups by their source's
    /// channel: one operator's, or everyone's (nil).
    static func loadsByChannel(of operatorId: Int64?, _ db: any SQLDatabase) throws -> [Int64: [String: Int]] {
        var loads: [Int64: [String: Int]] = [:]
        for held in slotHolding {
            let rows = try SQLRow.fetchAll(db, sql: """
                SELECT r.operator_id, s.channel, COUNT(*) FROM requests r JOIN sources s ON s.id = r.source_id
                WHERE \(held) \(operatorId == nil ? "" : "AND r.operator_id = ?")
                GROUP BY r.operator_id, s.channel
                """, arguments: operatorId.map { SQLArguments([.integer($0)]) } ?? [])
            for row in rows { loads[row[0], default: [:]][row[1], default: 0] += row[2] as Int }
        }
        return loads
    }

    /// Operators' running wrap-ups, and when the last ends: one operator's, or everyone's (nil).
    static func wrapUps(of operatorId: Int64?, _ db: any SQLDatabase) throws -> [Int64: (count: Int, until: Timestamp)] {
        var found: [Int64: (count: Int, until: Timestamp)] = [:]
        for row in try SQLRow.fetchAll(db, sql: """
            SELECT operator_id, COUNT(*), MAX(wrap_up_due) FROM requests
            WHERE wrap_up_due IS NOT NULL \(operatorId == nil ? "" : "AND operator_id = ?") GROUP BY operator_id
            """, arguments: operatorId.map { SQLArguments([.integer($0)]) } ?? []) {
            found[row[0]] = (row[1], Timestamp(milliseconds: row[2]))
        }
        return found
    }

    static func fetchOperators(_ db: any SQLDatabase) throws -> [Operator] {
        let loads = try loadsByChannel(of: nil, db)
        let wrapUps = try wrapUps(of: nil, db)
        return try SQLRow.fetchAll(db, sql: "SELECT \(operatorColumns) FROM operators ORDER BY id").map { row in
            var found = makeOperator(row)
            found.loadByChannel = loads[found.id] ?? [:]
            found.wrapUpCount = wrapUps[found.id]?.count ?? 0
            found.wrapUpUntil = wrapUps[found.id]?.until
            return found
        }
    }

    static func makeRequest(_ row: SQLRow, offset: Int = 0) -> Request {
        Request(
            id: row[offset], userId: row[offset + 1], sourceId: row[offset + 2], operatorId: row[offset + 3],
            message: row[offset + 4], status: RequestStatus(rawValue: row[offset + 5]) ?? .waiting,
            createdAt: Timestamp(milliseconds: row[offset + 6]), assignedAt: Timestamp(row[offset + 7] as Int64?),
            closedAt: Timestamp(row[offset + 8] as Int64?), offerExpiresAt: Timestamp(row[offset + 9] as Int64?),
            priority: row[offset + 10], escalatedAt: Timestamp(row[offset + 11] as Int64?),
            requires: CompetencyColumns.requirements(row[offset + 12]), relaxed: CompetencyColumns.names(row[offset + 13]),
            wrapUpUntil: Timestamp(row[offset + 14] as Int64?), transferCount: row[offset + 15],
            firstAssignedAt: Timestamp(row[offset + 16] as Int64?))
    }

    static func fetchOperator(_ id: Int64, _ db: any SQLDatabase) throws -> Operator? {
        guard let row = try SQLRow.fetchOne(db, sql: "SELECT \(operatorColumns) FROM operators WHERE id = ?", arguments: [id])
        else { return nil }
        var found = makeOperator(row)
        found.loadByChannel = try loadsByChannel(of: id, db)[id] ?? [:]
        let wrapUp = try wrapUps(of: id, db)[id]
        found.wrapUpCount = wrapUp?.count ?? 0
        found.wrapUpUntil = wrapUp?.until
        return found
    }

    /// Whether an operator exists: one primary-key lookup, without the loads an operator's
    /// shape reads (a weights list names every operator of a source).
    static func operatorExists(_ id: Int64, _ db: any SQLDatabase) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM operators WHERE id = ?)", arguments: [id]) ?? false
    }

    static func requireOperator(_ id: Int64, field: String, _ db: any SQLDatabase) throws -> Operator {
        guard let found = try fetchOperator(id, db) else { throw CommandError.notFound("operator", id, field: field) }
        return found
    }

    static func fetchSource(_ id: Int64, _ db: any SQLDatabase) throws -> Source? {
        guard let row = try SQLRow.fetchOne(
            db, sql: """
                SELECT id, name, identifier, created_at, offer_timeout_seconds, max_wait_seconds, overflow, sticky_seconds,
                       channel, strategy, requires, wrap_up_seconds, hours
                FROM sources WHERE id = ?
                """, arguments: [id])
        else { return nil }
        return Source(id: row[0], name: row[1], identifier: row[2], createdAt: Timestamp(milliseconds: row[3]),
                      weights: try weights(of: id, db), offerTimeoutSeconds: row[4], maxWaitSeconds: row[5], overflow: row[6],
                      stickySeconds: row[7], channel: row[8], strategy: Strategy(rawValue: row[9]) ?? .weighted,
                      requires: CompetencyColumns.requirements(row[10]), wrapUpSeconds: row[11], hours: HoursColumn.hours(row[12]))
    }

    static func weights(of sourceId: Int64, _ db: any SQLDatabase) throws -> [Weight] {
        try SQLRow.fetchAll(
            db, sql: "SELECT operator_id, weight FROM weights WHERE source_id = ? ORDER BY operator_id", arguments: [sourceId]
        ).map { Weight(operatorId: $0[0], weight: $0[1]) }
    }

    static func fetchRequest(_ id: Int64, _ db: any SQLDatabase) throws -> Request? {
        try SQLRow.fetchOne(db, sql: "SELECT \(requestColumns) FROM requests WHERE id = ?", arguments: [id])
            .map { makeRequest($0) }
    }

    static func requireRequest(_ id: Int64, _ db: any SQLDatabase) throws -> Request {
        guard let found = try fetchRequest(id, db) else { throw CommandError.notFound("request", id, field: "id") }
        return found
    }

    /// A request with its user, source and operator spelled out (`request.get`, the archive);
    /// the caller adds its WHERE.
    static let detailSelect = """
        SELECT r.id, r.user_id, r.source_id, r.operator_id, r.message, r.status, r.created_at, r.assigned_at, r.closed_at,
               r.offer_expires_at, r.priority, r.escalated_at, r.requires, r.relaxed, r.wrap_up_until, r.transfer_count,
               COALESCE(r.first_assigned_at, r.assigned_at), u.identifier, s.name, s.identifier, o.name
        FROM requests r JOIN users u ON u.id = r.user_id JOIN sources s ON s.id = r.source_id
        LEFT JOIN operators o ON o.id = r.operator_id
        """

    static func makeDetail(_ row: SQLRow) -> RequestDetail {
        let request = makeRequest(row)
        let names = requestColumnCount
        return RequestDetail(
            request: request, user: User(id: request.userId, identifier: row[names]),
            source: .init(id: request.sourceId, name: row[names + 1], identifier: row[names + 2]),
            operator: request.operatorId.map { RequestDetail.OperatorRef(id: $0, name: row[names + 3]) })
    }

    /// The request with the names its events carry and the route its operator was chosen
    /// by, in one read (the accept path's).
    static func fetchRequestForEvent(_ id: Int64, _ db: any SQLDatabase)
        throws -> (request: Request, user: String, source: String, messageId: String?, route: Route?)? {
        guard let row = try SQLRow.fetchOne(
            db, sql: """
                SELECT r.id, r.user_id, r.source_id, r.operator_id, r.message, r.status, r.created_at, r.assigned_at, r.closed_at,
                       r.offer_expires_at, r.priority, r.escalated_at, r.requires, r.relaxed, r.wrap_up_until, r.transfer_count,
                       COALESCE(r.first_assigned_at, r.assigned_at), u.identifier, s.identifier,
                       r.message_id, r.route
                FROM requests r JOIN users u ON u.id = r.user_id JOIN sources s ON s.id = r.source_id
                WHERE r.id = ?
                """, arguments: [id])
        else { return nil }
        let names = requestColumnCount
        return (makeRequest(row), row[names], row[names + 1], row[names + 2], (row[names + 3] as String?).flatMap(Route.init))
    }

    /// Names an event needs beside the request: the user's and source's identifiers and the
    /// operator's name.
    static func eventNames(for request: Request, _ db: any SQLDatabase) throws -> (user: String, source: String, operator: String?, messageId: String?) {
        let row = try SQLRow.fetchOne(
            db, sql: """
                SELECT u.identifier, s.identifier, o.name, r.message_id
                FROM requests r JOIN users u ON u.id = r.user_id JOIN sources s ON s.id = r.source_id
                LEFT JOIN operators o ON o.id = r.operator_id
                WHERE r.id = ?
                """, arguments: [request.id])!
        return (row[0], row[1], row[2], row[3])
    }
}
