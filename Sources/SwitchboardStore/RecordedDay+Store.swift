import SwitchboardCore

// What the what-if replay reads of a window, in one read transaction (a snapshot: on
// SQLite a WAL reader the writer never waits for).
extension SwitchboardStore {
    static func recordedDay(since: Timestamp, until: Timestamp, _ db: any SQLDatabase) throws -> RecordedDay {
        let operators = try Records.fetchOperators(db)
        let sourceIds = try Int64.fetchAll(db, sql: "SELECT id FROM sources ORDER BY id")
        let sources = try sourceIds.compactMap { try Records.fetchSource($0, db) }
        let sourceRequires = Dictionary(uniqueKeysWithValues: sources.map { ($0.id, $0.requires) })
        let arrivals = try SQLRow.fetchAll(db, sql: """
            SELECT id, source_id, user_id, priority, requires, created_at, first_assigned_at, closed_at, operator_id, status
            FROM requests WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id
            """, arguments: [since.milliseconds, until.milliseconds]).map { row -> RecordedDay.Arrival in
            let sourceId: Int64 = row[1]
            let requires = CompetencyColumns.requirements(row[4])
            let firstAssigned: Int64? = row[6], closed: Int64? = row[7]
            let isClosed = (row[9] as String) == RequestStatus.closed.rawValue
            return RecordedDay.Arrival(
                requestId: row[0], sourceId: sourceId, userId: row[2], priority: row[3],
                // The same as its source's: taken as the source's, so a change of them reaches it.
                requires: requires == sourceRequires[sourceId] ?? [] ? nil : requires,
                at: Timestamp(milliseconds: row[5]),
                handleMilliseconds: isClosed ? zip2(closed, firstAssigned).map { $0 - $1 } : nil,
                abandonedAt: isClosed && firstAssigned == nil ? closed.map(Timestamp.init(milliseconds:)) : nil,
                operatorId: row[8], firstAssignedAt: firstAssigned.map(Timestamp.init(milliseconds:)))
        }
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
        // In a fixed order: the replay draws from these lists by index, and the same seed must
        // draw the same answers on either store.
        var answers: [Int64: OfferAnswers] = [:]
        for row in try SQLRow.fetchAll(db, sql: """
            SELECT operator_id, outcome, ended_at - offered_at FROM offers WHERE offered_at >= ? AND offered_at < ? AND outcome IS NOT NULL
            ORDER BY request_id, round
            """, arguments: [since.milliseconds, until.milliseconds]) {
            let operatorId: Int64 = row[0], outcome: String = row[1], after: Int64? = row[2]
            switch outcome {
            case "accepted": answers[operatorId, default: OfferAnswers()].acceptedAfter.append(max(0, after ?? 0))
            case "rejected": answers[operatorId, default: OfferAnswers()].rejectedAfter.append(max(0, after ?? 0))
            case "expired": answers[operatorId, default: OfferAnswers()].unanswered += 1
            default: break  // withdrawn: not the operator's answer
            }
        }
        return RecordedDay(
            since: since, until: until, operators: operators, sources: sources, arrivals: arrivals,
            presenceAtStart: RecordedDay.presenceAtStart(operators: operators, firstChangeSince: firstChange),
            presenceChanges: try presenceChanges(since: since, until: until, db), offerAnswers: answers,
            transfers: try transfers(since: since, until: until, of: arrivals, db))
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
    /// The same read on the writer's own store (tests, and a replay of a store in hand).
    public func recordedDay(since: Timestamp, until: Timestamp) throws -> RecordedDay {
        try read { try Self.recordedDay(since: since, until: until, $0) }
    }
}

extension StoreReader {
    /// The what-if replay's input for a window, read from one snapshot.
    public func recordedDay(since: Timestamp, until: Timestamp) throws -> RecordedDay {
        try read { try SwitchboardStore.recordedDay(since: since, until: until, $0) }
    }
}
