import SwitchboardCore

// Statistics read counters kept up to date by every change, never a scan of all requests:
// they answer as fast with a million stored requests as with ten.
extension SwitchboardStore {
    static func operatorsLoad(_ db: any SQLDatabase) throws -> OperatorsLoad {
        let loads = try Records.loadsByChannel(of: nil, db)
        let wrapUps = try Records.wrapUps(of: nil, db)
        // Offered counts come from the (operator_id, status) index: one short range per operator.
        return OperatorsLoad(operators: try SQLRow.fetchAll(
            db, sql: """
                SELECT o.id, o.name, o.current_load, o.max_load_limit, o.is_active, o.presence,
                       (SELECT COUNT(*) FROM requests r WHERE r.operator_id = o.id AND r.status = 'offered'), o.capacity,
                       o.skills
                FROM operators o ORDER BY o.id
                """
        ).map {
            OperatorLoad(operatorId: $0[0], operatorName: $0[1], currentLoad: $0[2], maxLoadLimit: $0[3], isActive: $0[4],
                         presence: Presence(rawValue: $0[5]) ?? .available, offered: $0[6],
                         byChannel: byChannel(loads[$0[0]] ?? [:], capacity: CompetencyColumns.levels($0[7])),
                         skills: CompetencyColumns.levels($0[8]), wrapUpCount: wrapUps[$0[0]]?.count ?? 0,
                         wrapUpUntil: wrapUps[$0[0]]?.until)
        })
    }

    /// Every channel the operator holds requests of or names a capacity for, by name.
    static func byChannel(_ loads: [String: Int], capacity: ChannelCapacity) -> [ChannelLoad] {
        Set(loads.keys).union(capacity.keys).sorted().map { ChannelLoad(channel: $0, load: loads[$0] ?? 0, capacity: capacity[$0]) }
    }

    /// Waiting requests that need a skill no operator at all has at the level required: the
    /// parts of the line (a seek each) checked against the best level of each skill on the floor.
    static func unmatchedWaiting(_ db: any SQLDatabase) throws -> Int {
        var best: [String: Int] = [:]
        for row in try SQLRow.fetchAll(db, sql: "SELECT skills FROM operators WHERE skills IS NOT NULL") {
            best.merge(CompetencyColumns.levels(row[0]), uniquingKeysWith: max)
        }
        var count = 0
        var after = ""
        while let next = try String.fetchOne(db, sql: LineParts.nextPart, arguments: [after]) {
            after = next
            guard let key = LineKey(next), key.needs.contains(where: { best[$0.skill] ?? 0 < $0.minLevel }) else { continue }
            count += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests WHERE status = 'waiting' AND line_key = ?",
                                      arguments: [next]) ?? 0
        }
        return count
    }

    func distribution(_ db: any SQLDatabase) throws -> RequestsDistribution {
        let byOperator = try SQLRow.fetchAll(
            db, sql: "SELECT id, name, request_count FROM operators ORDER BY id"
        ).map { RequestsDistribution.ByOperator(operatorId: $0[0], operatorName: $0[1], requestCount: $0[2]) }
        let bySource = try SQLRow.fetchAll(
            db, sql: "SELECT id, name, request_count FROM sources ORDER BY id"
        ).map { RequestsDistribution.BySource(sourceId: $0[0], sourceName: $0[1], requestCount: $0[2]) }
        // Every request has exactly one source; those not counted under an operator have none.
        let total = bySource.reduce(0) { $0 + $1.requestCount }
        let withOperator = byOperator.reduce(0) { $0 + $1.requestCount }
        return RequestsDistribution(byOperator: byOperator, bySource: bySource, unassignedCount: total - withOperator)
    }

    /// The counts of the waiting line and of the offers out. Left to itself, SQLite counts
    /// them by scanning the (source_id, status) index over every request ever stored (8 ms
    /// at 200,000 requests, growing with them); the partial indexes hold only the rows
    /// counted (under 0.1 ms), so the queries name them.
    static let lineCountQueries = (
        waiting: "SELECT COUNT(*) FROM requests INDEXED BY requests_waiting WHERE status = 'waiting'",
        offered: "SELECT COUNT(*) FROM requests INDEXED BY requests_offer_deadline WHERE status = 'offered'")

    /// The request waiting longest, for the dashboard and `stats.service_level`: the waiting
    /// index is in id order, and ids in arrival order.
    static let oldestWaitingQuery = """
        SELECT id, source_id, priority, created_at FROM requests INDEXED BY requests_waiting WHERE status = 'waiting'
        ORDER BY id LIMIT 1
        """

    struct LineCounts {
        var waiting: Int
        var offered: Int
        /// Events not yet confirmed, the retrying among them.
        var outboxPending: Int
        var eventsRetrying: Int
    }

    /// The waiting line, the offers out and the events not yet confirmed: what
    /// `service.status` and the HTTP side's floor both report.
    static func lineCounts(_ db: any SQLDatabase) throws -> LineCounts {
        LineCounts(
            waiting: try Int.fetchOne(db, sql: lineCountQueries.waiting) ?? 0,
            offered: try Int.fetchOne(db, sql: lineCountQueries.offered) ?? 0,
            outboxPending: try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(event_count), 0) FROM outbox") ?? 0,
            eventsRetrying: try Int.fetchOne(db, sql: retryingCountQuery) ?? 0)
    }

    func status(_ db: any SQLDatabase) throws -> ServiceStatus {
        let counts = try Self.lineCounts(db)
        let uptime = ContinuousClock.now - openedAt
        let oldestKey = try Self.oldestMessageIdTime(db).map { now().seconds(since: $0) } ?? 0
        return ServiceStatus(
            version: Self.version,
            uptimeSeconds: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18,
            waitingCount: counts.waiting, outboxPending: counts.outboxPending, storeId: storeId, offeredCount: counts.offered,
            oldestKeyAgeSeconds: oldestKey, requestsPurged: try Self.requestsPurged(db), eventsRetrying: counts.eventsRetrying,
            unmatchedWaiting: try Self.unmatchedWaiting(db))
    }
}
