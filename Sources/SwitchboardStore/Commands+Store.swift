import SwitchboardCore

extension SwitchboardStore {
    /// One command against the database. Throws ``CommandError`` for what the caller got
    /// wrong; the savepoint around it (``execute(_:_:events:)``) undoes any partial change.
    func run(_ command: Command, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws -> CommandResult {
        switch command {
        case let .operatorCreate(name, maxLoadLimit, isActive, presence, settings):
            let id = try Int64.fetchOne(
                db, sql: """
                    INSERT INTO operators (name, is_active, max_load_limit, created_at, presence, skills, capacity)
                    VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
                    """,
                arguments: [name, isActive, maxLoadLimit, now().milliseconds, presence.rawValue,
                            CompetencyColumns.text(settings.skills ?? [:]), CompetencyColumns.text(settings.capacity ?? [:])])!
            try recordPresence(PresenceChange(operatorId: id, presence: presence, previous: nil, reason: .created, at: now()), db)
            // Escalated requests of overflowing sources may go to anyone with the skills.
            try drainWaiting(db, events: &events)
            return .operator(try Records.fetchOperator(id, db)!)

        case let .operatorList(filter):
            return .operators(try Records.fetchOperators(db).filter(filter.admits))

        case let .operatorGet(id):
            return .operator(try Records.requireOperator(id, field: "id", db))

        case let .operatorUpdate(id, name, maxLoadLimit, isActive, settings):
            var updated = try Records.requireOperator(id, field: "id", db)
            if let name { updated.name = name }
            // A limit or capacity below the load is accepted (the contract's "Lowering a limit
            // below the load"): the operator keeps what it holds and gets nothing new until under it.
            if let maxLoadLimit { updated.maxLoadLimit = maxLoadLimit }
            if let isActive { updated.isActive = isActive }
            if let skills = settings.skills { updated.skills = skills }
            if let capacity = settings.capacity { updated.capacity = capacity }
            try db.execute(sql: "UPDATE operators SET name = ?, max_load_limit = ?, is_active = ?, skills = ?, capacity = ? WHERE id = ?",
                           arguments: [updated.name, updated.maxLoadLimit, updated.isActive, CompetencyColumns.text(updated.skills),
                                       CompetencyColumns.text(updated.capacity), id])
            try afterActivation(id, isActive: updated.isActive, db, events: &events)
            return .operator(try Records.fetchOperator(id, db)!)

        case let .operatorToggleActive(id):
            let current = try Records.requireOperator(id, field: "id", db)
            try db.execute(sql: "UPDATE operators SET is_active = ? WHERE id = ?", arguments: [!current.isActive, id])
            try afterActivation(id, isActive: !current.isActive, db, events: &events)
            return .operator(try Records.fetchOperator(id, db)!)

        case let .operatorSetPresence(id, presence, requeue):
            let current = try Records.requireOperator(id, field: "id", db)
            var waited: Set<Int64> = []
            try setPresence(current, to: presence, reason: .command, requeue: requeue, db, events: &events, waited: &waited)
            if presence == .available { try drainWaiting(db, events: &events) }
            return .operator(try Records.fetchOperator(id, db)!)

        case let .operatorDelete(id):
            let current = try Records.requireOperator(id, field: "id", db)
            guard current.currentLoad == 0 else {
                throw CommandError(.conflict, "operator \(id) still has \(current.currentLoad) assigned or offered request(s); close or reassign them first")
            }
            try db.execute(sql: "DELETE FROM operators WHERE id = ?", arguments: [id])
            return .deleted(Deleted(deleted: id))

        case let .sourceCreate(name, identifier, settings):
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sources WHERE identifier = ?)", arguments: [identifier]) == true {
                throw CommandError(.conflict, "a source with identifier \"\(identifier)\" already exists",
                                   details: [FieldProblem(field: "identifier", problem: "is already taken")])
            }
            let made = settings.applied(to: Source(id: 0, name: name, identifier: identifier, createdAt: now(), weights: []))
            let id = try Int64.fetchOne(db, sql: """
                INSERT INTO sources (name, identifier, created_at, offer_timeout_seconds, max_wait_seconds, overflow, sticky_seconds,
                                     channel, strategy, requires, wrap_up_seconds, hours)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, arguments: [name, identifier, made.createdAt.milliseconds, made.offerTimeoutSeconds, made.maxWaitSeconds,
                                 made.overflow, made.stickySeconds, made.channel, made.strategy.rawValue,
                                 CompetencyColumns.text(made.requires), made.wrapUpSeconds, HoursColumn.text(made.hours)])!
            return .source(try sourceNow(id, db))

        case let .sourceUpdate(id, name, settings):
            guard let current = try Records.fetchSource(id, db) else { throw CommandError.notFound("source", id, field: "id") }
            var source = settings.applied(to: current)
            if let name { source.name = name }
            try db.execute(sql: """
                UPDATE sources SET name = ?, offer_timeout_seconds = ?, max_wait_seconds = ?, overflow = ?, sticky_seconds = ?,
                    channel = ?, strategy = ?, requires = ?, wrap_up_seconds = ?, hours = ?
                WHERE id = ?
                """, arguments: [source.name, source.offerTimeoutSeconds, source.maxWaitSeconds, source.overflow,
                                 source.stickySeconds, source.channel, source.strategy.rawValue,
                                 CompetencyColumns.text(source.requires), source.wrapUpSeconds, HoursColumn.text(source.hours), id])
            // A new wrap-up applies to the next closings; wrap-ups running keep their end.
            // Offers already made keep their deadlines; the new timeout applies to the next ones.
            // A new max wait applies to every open request not escalated yet, counted from its
            // creation as always: one waiting longer than it already escalates at once.
            if source.maxWaitSeconds != current.maxWaitSeconds { try moveEscalations(of: id, maxWaitSeconds: source.maxWaitSeconds, db) }
            // Overflow turned on, or a channel with room, may let waiting requests go to operators.
            // New requirements apply to the source's next requests, never to those in hand.
            // New hours take effect now: the source may open (the drain serves its line) or close.
            try drainWaiting(db, events: &events)
            return .source(try sourceNow(id, db))

        case .sourceList:
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM sources ORDER BY id")
            return .sources(try ids.map { try sourceNow($0, db) })

        case let .sourceGet(id):
            guard try Records.fetchSource(id, db) != nil else { throw CommandError.notFound("source", id, field: "id") }
            return .source(try sourceNow(id, db))

        case let .sourceSetWeights(sourceId, weights):
            guard try Records.fetchSource(sourceId, db) != nil else {
                throw CommandError.notFound("source", sourceId, field: "source_id")
            }
            let missing = try weights.enumerated().filter { try !Records.operatorExists($0.element.operatorId, db) }
            if !missing.isEmpty {
                let ids = missing.map { String($0.element.operatorId) }.joined(separator: ", ")
                throw CommandError(.notFound, "no operator with id \(ids)", details: missing.map {
                    FieldProblem(field: "weights[\($0.offset)].operator_id", problem: "no operator with id \($0.element.operatorId)")
                })
            }
            try db.execute(sql: "DELETE FROM weights WHERE source_id = ?", arguments: [sourceId])
            for weight in weights {
                try db.execute(sql: "INSERT INTO weights (source_id, operator_id, weight) VALUES (?, ?, ?)",
                               arguments: [sourceId, weight.operatorId, weight.weight])
            }
            try drainWaiting(db, events: &events)
            return .source(try sourceNow(sourceId, db))

        case let .requestGet(id):
            return .requestDetail(try Self.requestDetail(id, db))

        case let .requestList(filter):
            return .requests(try listRequests(filter, db))

        case let .requestAssign(id, operatorId):
            return .request(try assignByHand(id, operatorId: operatorId, db, events: &events))

        case let .requestClose(id, wrapUpSeconds):
            return .request(try close(id, wrapUpSeconds: wrapUpSeconds, db, events: &events))

        case let .operatorEndWrapUp(id):
            return .operator(try endWrapUps(of: id, db, events: &events))

        case let .requestTransfer(id, target, reason):
            return .request(try transfer(id, to: target, reason: reason, db, events: &events))

        case let .requestAccept(id, operatorId):
            return .request(try accept(id, by: operatorId, db, events: &events))

        case let .requestReject(id, operatorId, reason):
            return .request(try reject(id, by: operatorId, reason: reason, db, events: &events))

        case let .requestPurge(before, dryRun):
            if dryRun {
                let preview = try purgePreview(before: before, db)
                return .purge(PurgeSummary(archived: preview.count, purged: preview.count, files: preview.files,
                                           remaining: preview.count, dryRun: true))
            }
            let done = try purgeClosed(before: before, limit: Limits.purgeBatch, db)
            return .purge(PurgeSummary(archived: done.purged, purged: done.purged, files: done.files,
                                       remaining: try closedCount(before: before, db)))

        case let .requestSetPriority(id, priority):
            let request = try Records.requireRequest(id, db)
            guard request.status != .closed else {
                throw CommandError(.conflict, "request \(id) is closed; only open requests wait in the line",
                                   details: [FieldProblem(field: "id", problem: "request \(id) is closed")])
            }
            try db.execute(sql: "UPDATE requests SET priority = ? WHERE id = ?", arguments: [priority, id])
            return .request(try Records.fetchRequest(id, db)!)

        case let .statsServiceLevel(query):
            return .serviceLevel(try serviceLevel(query, db))

        case .statsOperatorsLoad:
            return .operatorsLoad(try Self.operatorsLoad(db))

        case .statsRequestsDistribution:
            return .distribution(try distribution(db))

        case .serviceStatus:
            return .status(try status(db))

        case let .auditList(filter):
            return .audit(try auditList(filter, db))

        case let .eventsListSetAside(filter):
            return .setAside(try listSetAside(filter, db))

        case let .eventsResend(selection):
            return .resent(try resend(selection, db))

        case .replayRun:
            // The service hands it to its replay runner before the store sees it.
            throw CommandError(.internalError, "replay.run runs beside the writer, not in its transaction")
        }
    }

    /// An operator switched off gets no more offers: those outstanding go to someone else,
    /// and the drain leaves alone the ones that went back to the line, as after any decline.
    /// One switched on may take waiting requests.
    private func afterActivation(_ id: Int64, isActive: Bool, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws {
        var waited: Set<Int64> = []
        if !isActive { try withdrawOffers(of: id, db, events: &events, waited: &waited) }
        try drainWaiting(db, events: &events, skipping: waited)
    }

    /// `request.assign`: with an operator, an ops override that assigns at once (no offer;
    /// an outstanding offer to someone else is withdrawn); without, a pick as for a new request.
    private func assignByHand(_ id: Int64, operatorId: Int64?, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws -> Request {
        let request = try Records.requireRequest(id, db)
        guard request.status != .closed else { throw CommandError(.conflict, "request \(id) is closed") }
        guard let operatorId else {
            guard request.status == .waiting else {
                throw CommandError(.conflict, "request \(id) is already \(request.status.rawValue); give operator_id to reassign it")
            }
            guard let choice = try choose(for: .stored(id, db), usual: .weighted, db) else {
                throw CommandError(.conflict, "no operator is eligible for request \(id) now; it stays waiting")
            }
            events.append(try give(id, sourceId: request.sourceId, to: choice, db))
            return try Records.fetchRequest(id, db)!
        }
        let chosen = try Records.requireOperator(operatorId, field: "operator_id", db)
        if request.operatorId == operatorId {
            if request.status == .offered { return try accept(id, by: operatorId, db, events: &events) }
            return request
        }
        // An override: skills and weights aside, but never past a limit or a channel's capacity.
        try requireRoom(for: request, on: chosen, db)
        if request.status == .offered, let holder = request.operatorId {
            // Withdrawn without routing again: the override below decides where it goes.
            try endOffer(id, sourceId: request.sourceId, Decline(operatorId: holder, reason: .withdrawn), db, events: &events)
        }
        events.append(try assign(id, to: operatorId, route: .manual, db))
        // A reassignment or a withdrawn offer freed a slot on the previous operator.
        if request.status != .waiting { try drainWaiting(db, events: &events) }
        return try Records.fetchRequest(id, db)!
    }

    /// Sets the escalation time of a source's open requests not escalated yet to their
    /// creation plus the new max wait (none with 0), and forgets the known deadline.
    private func moveEscalations(of sourceId: Int64, maxWaitSeconds: Int, _ db: any SQLDatabase) throws {
        try db.execute(sql: """
            UPDATE requests SET escalate_at = CASE WHEN ? > 0 THEN COALESCE(opens_at, created_at) + ? ELSE NULL END
            WHERE source_id = ? AND status IN ('waiting', 'offered', 'assigned') AND escalated_at IS NULL
            """, arguments: [maxWaitSeconds, Int64(maxWaitSeconds) * 1000, sourceId])
        deadlines.known = .unknown
    }

    static func requestDetail(_ id: Int64, _ db: any SQLDatabase) throws -> RequestDetail {
        guard let row = try SQLRow.fetchOne(db, sql: "\(Records.detailSelect) WHERE r.id = ?", arguments: [id])
        else { throw CommandError.notFound("request", id, field: "id") }
        return Records.makeDetail(row)
    }

    private func listRequests(_ filter: RequestFilter, _ db: any SQLDatabase) throws -> [Request] {
        var conditions = ["id > ?"]
        var arguments: SQLArguments = [filter.afterId ?? 0]
        if let status = filter.status {
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        if let operatorId = filter.operatorId {
            conditions.append("operator_id = ?")
            arguments += [operatorId]
        }
        if let sourceId = filter.sourceId {
            conditions.append("source_id = ?")
            arguments += [sourceId]
        }
        arguments += [filter.limit]
        return try SQLRow.fetchAll(
            db, sql: """
                SELECT \(Records.requestColumns) FROM requests WHERE \(conditions.joined(separator: " AND "))
                ORDER BY id LIMIT ?
                """, arguments: arguments
        ).map { Records.makeRequest($0) }
    }
}
