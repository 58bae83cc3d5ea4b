import SwitchboardCore

// What the what-if replay reads of a window, in one read transaction (a snapshot: on
// SQLite a WAL reader the writer never waits for), with what retention purged read back
// from the archive up to the lengths that snapshot committed.
extension SwitchboardStore {
    /// One offer's answer as read, sorted by (request, round) before it is counted: the
    /// replay draws from each operator's answers by index, so the same seed must find them
    /// in the same order on either store, purged or not.
    private struct OfferRow {
        var requestId: Int64
        var round: Int
        var operatorId: Int64
        var outcome: String
        var afterMilliseconds: Int64?
    }

    static func recordedDay(since: Timestamp, until: Timestamp, archiveDirectory: String?, _ db: any SQLDatabase) throws -> RecordedDay {
        let sourceIds = try Int64.fetchAll(db, sql: "SELECT id FROM sources ORDER BY id")
        let floor = RecordedDay.settingsAtStart(operators: try Records.fetchOperators(db), sources: try sourceIds.compactMap { try Records.fetchSource($0, db) },
                                                changesSince: try settingChanges(since: since, db), until: until)
        let (operators, sources) = (floor.operators, floor.sources)
        let sourceRequires = Dictionary(uniqueKeysWithValues: sources.map { ($0.id, $0.requires) })
        func arrival(_ id: Int64, source: Int64, user: Int64, priority: Int, requires: [Requirement], at: Int64,
                     firstAssigned: Int64?, closed: Int64?, isClosed: Bool, operatorId: Int64?) -> RecordedDay.Arrival {
            RecordedDay.Arrival(
                requestId: id, sourceId: source, userId: user, priority: priority,
                // The same as its source's: taken as the source's, so a change of them reaches it.
                requires: requires == sourceRequires[source] ?? [] ? nil : requires,
                at: Timestamp(milliseconds: at),
                handleMilliseconds: isClosed ? zip2(closed, firstAssigned).map { $0 - $1 } : nil,
                abandonedAt: isClosed && firstAssigned == nil ? closed.map(Timestamp.init(milliseconds:)) : nil,
                operatorId: operatorId, firstAssignedAt: firstAssigned.map(Timestamp.init(milliseconds:)))
        }
        // Row by row: a month of a busy floor is a million rows, which fetched at once as
        // generic rows took several times the memory of the arrivals made from them.
        var arrivals: [RecordedDay.Arrival] = []
        try db.forEachRow(sql: """
            SELECT id, source_id, user_id, priority, requires, created_at, first_assigned_at, closed_at, operator_id, status
            FROM requests WHERE created_at >= ? AND created_at < ?
            """, arguments: [since.milliseconds, until.milliseconds]) { row in
            arrivals.append(arrival(row[0], source: row[1], user: row[2], priority: row[3], requires: CompetencyColumns.requirements(row[4]),
                                    at: row[5], firstAssigned: row[6], closed: row[7],
                                    isClosed: (row[9] as String) == RequestStatus.closed.rawValue, operatorId: row[8]))
        }
        var offers: [OfferRow] = []
        try db.forEachRow(sql: """
            SELECT request_id, round, operator_id, outcome, ended_at - offered_at FROM offers
            WHERE offered_at >= ? AND offered_at < ? AND outcome IS NOT NULL
            """, arguments: [since.milliseconds, until.milliseconds]) {
            offers.append(OfferRow(requestId: $0[0], round: $0[1], operatorId: $0[2], outcome: $0[3], afterMilliseconds: $0[4]))
        }
        if let archiveDirectory {
            try ArchiveReading.eachRequest(in: archiveDirectory, fromDayOf: since, db) { archived in
                let request = archived.detail.request
                for (round, offer) in archived.offers.enumerated() where since <= offer.offeredAt && offer.offeredAt < until {
                    guard let outcome = offer.outcome else { continue }
                    offers.append(OfferRow(requestId: request.id, round: round + 1, operatorId: offer.operatorId, outcome: outcome,
                                           afterMilliseconds: offer.endedAt.map { $0.milliseconds - offer.offeredAt.milliseconds }))
                }
                guard since <= request.createdAt && request.createdAt < until else { return }
                arrivals.append(arrival(request.id, source: request.sourceId, user: request.userId, priority: request.priority,
                                        requires: request.requires, at: request.createdAt.milliseconds,
                                        firstAssigned: request.firstAssignedAt?.milliseconds, closed: request.closedAt?.milliseconds,
                                        isClosed: true, operatorId: request.operatorId))
            }
        }
        arrivals.sort { ($0.at, $0.requestId) < ($1.at, $1.requestId) }
        offers.sort { ($0.requestId, $0.round) < ($1.requestId, $1.round) }
        var firstChange: [Int64: PresenceChange] = [:]
        for row in try SQLRow.fetchAll(db, sql: """
            SELECT operator_id, presence, previous, reason, at FROM presence_changes
            WHERE id IN (SELECT MIN(id) FROM presence_changes WHERE at >= ? GROUP BY operator_id)
            """, arguments: [since.milliseconds]) {
            guard let presence = Presence(rawValue: row[1]), let reason = PresenceChange.Reason(rawValue: row[3]) else { continue }
            let previous: String? = row[2]
            firstChange[row[0]] = PresenceChange(operatorId: row[0], presence: presence, previous: previous.flatMap(Presence.init(rawValue:)),
                                                 reason: reason, at: Timestamp(milliseconds: row[4]))
        }
        var answers: [Int64: OfferAnswers] = [:]
        for offer in offers {
            let after = max(0, offer.afterMilliseconds ?? 0)
            switch offer.outcome {
            case "accepted": answers[offer.operatorId, default: OfferAnswers()].acceptedAfter.append(after)
            case "rejected": answers[offer.operatorId, default: OfferAnswers()].rejectedAfter.append(after)
            case "expired": answers[offer.operatorId, default: OfferAnswers()].unanswered += 1
            default: break  // withdrawn: not the operator's answer
            }
        }
        return RecordedDay(
            since: since, until: until, operators: operators, sources: sources, arrivals: arrivals,
            presenceAtStart: RecordedDay.presenceAtStart(operators: operators, firstChangeSince: firstChange),
            presenceChanges: try presenceChanges(since: since, until: until, db), offerAnswers: answers,
            transfers: try transfers(since: since, until: until, of: arrivals, db), settingChanges: floor.inWindow)
    }

    /// The window's transfers, read from the audit trail (the one durable record of where a
    /// transfer went), parsed by the command's own rule; those of requests that arrived
    /// before the window are not replayed, as their requests are not.
    static func transfers(since: Timestamp, until: Timestamp, of arrivals: [RecordedDay.Arrival],
                          _ db: any SQLDatabase) throws -> [RecordedDay.Transfer] {
        let firstAssigned = Dictionary(arrivals.compactMap { a in a.firstAssignedAt.map { (a.requestId, $0.milliseconds) } },
                                       uniquingKeysWith: { a, _ in a })
        return try SQLRow.fetchAll(db, sql: """
            SELECT at, args FROM audit WHERE command = ? AND outcome = 'ok' AND at >= ? AND at < ? ORDER BY id
            """, arguments: [CommandName.requestTransfer.rawValue, since.milliseconds, until.milliseconds]).compactMap { row in
            let at: Int64 = row[0], args: String = row[1]
            guard case let .object(fields)? = try? JSONParser.parse(Array(args.utf8)),
                  case let .success(.requestTransfer(id, target, reason)) = Command.parse(name: CommandName.requestTransfer.rawValue, args: fields),
                  let assigned = firstAssigned[id] else { return nil }
            return RecordedDay.Transfer(requestId: id, afterAssignmentMilliseconds: max(0, at - assigned), to: target, reason: reason)
        }
    }
}

private func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}

extension SwitchboardStore {
    /// The same read on the writer's own store (tests, and a replay of a store in hand),
    /// with its own archive.
    public func recordedDay(since: Timestamp, until: Timestamp) throws -> RecordedDay {
        try read { try Self.recordedDay(since: since, until: until, archiveDirectory: archive.directory, $0) }
    }
}

extension StoreReader {
    /// The what-if replay's input for a window, read from one snapshot and the archive the
    /// writer purges to (`SWITCHBOARD_ARCHIVE_DIR`, else the one beside the database).
    public func recordedDay(since: Timestamp, until: Timestamp, archiveDirectory: String) throws -> RecordedDay {
        try read { try SwitchboardStore.recordedDay(since: since, until: until, archiveDirectory: archiveDirectory, $0) }
    }
}
