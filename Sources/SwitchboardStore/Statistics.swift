import GRDB
import SwitchboardCore

// Statistics read counters kept up to date by every change, never a scan of all requests:
// they answer as fast with a million stored requests as with ten.
extension SwitchboardStore {
    func operatorsLoad(_ db: Database) throws -> OperatorsLoad {
        OperatorsLoad(operators: try Row.fetchAll(
            db.cachedStatement(sql: "SELECT id, name, current_load, max_load_limit, is_active FROM operators ORDER BY id")
        ).map { OperatorLoad(operatorId: $0[0], operatorName: $0[1], currentLoad: $0[2], maxLoadLimit: $0[3], isActive: $0[4]) })
    }

    func distribution(_ db: Database) throws -> RequestsDistribution {
        let byOperator = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT id, name, request_count FROM operators ORDER BY id")
        ).map { RequestsDistribution.ByOperator(operatorId: $0[0], operatorName: $0[1], requestCount: $0[2]) }
        let bySource = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT id, name, request_count FROM sources ORDER BY id")
        ).map { RequestsDistribution.BySource(sourceId: $0[0], sourceName: $0[1], requestCount: $0[2]) }
        // Every request has exactly one source; those not counted under an operator have none.
        let total = bySource.reduce(0) { $0 + $1.requestCount }
        let withOperator = byOperator.reduce(0) { $0 + $1.requestCount }
        return RequestsDistribution(byOperator: byOperator, bySource: bySource, unassignedCount: total - withOperator)
    }

    func status(_ db: Database) throws -> ServiceStatus {
        let waiting = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM requests WHERE status = 'waiting'")) ?? 0
        let pending = try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(SUM(event_count), 0) FROM outbox")) ?? 0
        let uptime = ContinuousClock.now - openedAt
        return ServiceStatus(
            version: Self.version,
            uptimeSeconds: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18,
            waitingCount: waiting, outboxPending: pending, storeId: storeId)
    }
}
