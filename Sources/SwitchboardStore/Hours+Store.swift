import SwitchboardCore

extension SwitchboardStore {
    /// The source shape with whether it is open now and when that changes next.
    func sourceNow(_ id: Int64, _ db: any SQLDatabase) throws -> Source {
        guard var source = try Records.fetchSource(id, db) else { throw CommandError.notFound("source", id, field: "id") }
        _ = try routingTable(db)
        if let state = openings.state(of: id) {
            source.openNow = state.open
            source.nextChangeAt = state.nextChange.map(Timestamp.init(milliseconds:))
        }
        return source
    }

    /// Why a request of this source that found nobody waits: after hours (until when), a
    /// skill nobody has, or nobody eligible with room.
    func waitingReason(sourceId: Int64, unmatched: [String]?) -> Waiting {
        if !openings.isOpen(sourceId) {
            return Waiting(reason: .afterHours, opensAt: opensAt(of: sourceId).map(Timestamp.init(milliseconds:)))
        }
        return Waiting(reason: unmatched == nil ? .noEligibleOperator : .unmatched)
    }

    /// After hours, the opening a request of the source waits for: escalation, relax times
    /// and the service level count from it. Nil while open (or when it never opens).
    func opensAt(of sourceId: Int64) -> Int64? {
        guard !openings.isOpen(sourceId) else { return nil }
        return openings.state(of: sourceId)?.nextChange
    }
}
