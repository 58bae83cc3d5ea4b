import SwitchboardCore

/// What choosing an operator needs to know of a request.
struct RoutingSubject {
    /// nil for a request not stored yet (intake): every stored request of its user is earlier.
    var requestId: Int64?
    var userId: Int64
    var sourceId: Int64
    /// Escalated requests may overflow, where their source allows it.
    var escalated: Bool
    /// A user first seen with this request has no earlier one to stick to.
    var isNewUser = false
    /// The requirements still in force.
    var requirements: [Requirement] = []
    /// The operator it left by a transfer: never routed back to them until someone takes it.
    var leftBy: Int64?

    var needs: RequestNeeds { RequestNeeds(sourceId: sourceId, requirements: requirements, escalated: escalated) }

    /// A stored request, read in one indexed lookup.
    static func stored(_ requestId: Int64, _ db: any SQLDatabase) throws -> RoutingSubject {
        let row = try SQLRow.fetchOne(
            db, sql: "SELECT user_id, source_id, escalated_at IS NOT NULL, requires, relaxed, transferred_from FROM requests WHERE id = ?",
            arguments: [requestId])!
        return RoutingSubject(
            requestId: requestId, userId: row[0], sourceId: row[1], escalated: row[2],
            requirements: Requirement.inForce(CompetencyColumns.requirements(row[3]), relaxed: CompetencyColumns.names(row[4])),
            leftBy: row[5])
    }
}

/// An operator chosen for a request, and how (the `route` its event carries).
struct OperatorChoice {
    var operatorId: Int64
    var route: Route
}

extension SwitchboardStore {
    /// The one place an operator is chosen for a request, whether new, from the waiting
    /// line, or routed again after a declined offer: the user's latest operator when the
    /// source is sticky and that operator is eligible, else a pick by the source's strategy
    /// among the eligible (over everyone with the skills, once escalated, where the source
    /// overflows). `usual` is the route of a plain weighted draw (`waiting_line` stays so for
    /// every strategy); `excluded` are operators the request must not go to (offered it in
    /// this round).
    func choose(for subject: RoutingSubject, usual: Route, excluding given: Set<Int64> = [], _ db: any SQLDatabase) throws
        -> OperatorChoice? {
        let excluded = subject.leftBy.map { given.union([$0]) } ?? given
        let table = try routingTable(db)
        guard let source = table.source(subject.sourceId), openings.isOpen(subject.sourceId) else { return nil }
        if source.stickySeconds > 0, !subject.isNewUser,
           let latest = try latestOperator(of: subject, within: source.stickySeconds, db),
           !excluded.contains(latest), table.isEligible(latest, for: subject.needs)
        {
            return OperatorChoice(operatorId: latest, route: .sticky)
        }
        guard let picked = table.pick(for: subject.needs, excluding: excluded, using: &random) else { return nil }
        let route: Route = switch (picked.weighted, usual, picked.strategy) {
        case (false, _, _): .overflow
        case (true, .weighted, .leastLoaded): .leastLoaded
        case (true, .weighted, .longestIdle): .longestIdle
        default: usual
        }
        return OperatorChoice(operatorId: picked.id, route: route)
    }

    static let latestRequestOfUser = """
        SELECT operator_id, assigned_at FROM requests WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT 1
        """

    /// The operator the user's latest earlier request went to, if it went to one less than
    /// `seconds` ago: one read of the (user_id) index from its end, flat as requests grow.
    private func latestOperator(of subject: RoutingSubject, within seconds: Int, _ db: any SQLDatabase) throws -> Int64? {
        guard let row = try SQLRow.fetchOne(db, sql: Self.latestRequestOfUser, arguments: [subject.userId, subject.requestId ?? Int64.max])
        else { return nil }
        guard let operatorId = row[0] as Int64?, let assignedAt = row[1] as Int64? else { return nil }
        return now().milliseconds - assignedAt < Int64(seconds) * 1000 ? operatorId : nil
    }
}
