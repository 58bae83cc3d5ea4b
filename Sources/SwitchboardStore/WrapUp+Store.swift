import SwitchboardCore

extension SwitchboardStore {
    /// Closes a request. Its operator's slot frees now, or, with a wrap-up (the command's
    /// seconds, else its source's), stays taken until the wrap-up's end: `wrap_up_due` is
    /// that deadline, handled once by ``endWrapUpsDue(by:_:)``.
    func close(_ id: Int64, wrapUpSeconds: Int?, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws -> Request {
        let request = try Records.requireRequest(id, db)
        guard request.status != .closed else { throw CommandError(.conflict, "request \(id) is already closed") }
        let time = now()
        let wrapUp = WrapUp.after(closingAt: time, sourceSeconds: try routingTable(db).source(request.sourceId)?.wrapUpSeconds ?? 0,
                                  requested: wrapUpSeconds, holdsSlot: request.status == .assigned && request.operatorId != nil)
        if request.status == .assigned || request.status == .offered, let operatorId = request.operatorId, wrapUp == nil {
            try db.execute(sql: "UPDATE operators SET current_load = current_load - 1 WHERE id = ?", arguments: [operatorId])
            routing?.adjustLoad(of: operatorId, by: -1, source: request.sourceId)
        }
        if request.status == .offered {
            // The request is gone, so the offer ends without being routed again; request.closed says so.
            try db.execute(sql: "UPDATE offers SET outcome = 'withdrawn', ended_at = ? WHERE request_id = ? AND outcome IS NULL",
                           arguments: [time.milliseconds, id])
        }
        // A request closed while on offer was never its operator's: it keeps none.
        try db.execute(sql: """
            UPDATE requests SET status = 'closed', closed_at = ?, offer_expires_at = NULL,
                operator_id = CASE WHEN status = 'offered' THEN NULL ELSE operator_id END,
                wrap_up_until = ?, wrap_up_due = ?
            WHERE id = ?
            """, arguments: [time.milliseconds, wrapUp?.until.milliseconds, wrapUp?.until.milliseconds, id])
        if let wrapUp { deadlines.note(dueAt: wrapUp.until.milliseconds) }
        events.append(try requestEvent(.requestClosed, id, db))
        if wrapUp == nil { try drainWaiting(db, events: &events) }
        return try Records.fetchRequest(id, db)!
    }

    /// `operator.end_wrap_up`: every wrap-up the operator has running ends now, and the line
    /// is served with the slots given back.
    func endWrapUps(of operatorId: Int64, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws -> Operator {
        _ = try Records.requireOperator(operatorId, field: "id", db)
        let time = now()
        let running = try SQLRow.fetchAll(db, sql: """
            SELECT id, source_id, wrap_up_until FROM requests WHERE operator_id = ? AND wrap_up_due IS NOT NULL ORDER BY id
            """, arguments: [operatorId])
        for row in running {
            let ended = WrapUp(until: Timestamp(milliseconds: row[2])).ended(at: time)
            try giveBackSlot(of: row[0], operatorId: operatorId, sourceId: row[1], until: ended.until, db)
        }
        if !running.isEmpty {
            // Their deadlines are gone: read the next one again rather than wake for nothing.
            deadlines.known = .unknown
            try drainWaiting(db, events: &events)
        }
        return try Records.fetchOperator(operatorId, db)!
    }

    /// Gives back, once each, the slots of wrap-ups that ended by `time` (the deadline pass
    /// serves the line after it). A wrap-up leaves the due index as it ends, so a crash
    /// before the commit repeats it and one after never does.
    func endWrapUpsDue(by time: Int64, _ db: any SQLDatabase) throws {
        let page = """
            SELECT id, operator_id, source_id, wrap_up_until FROM requests
            WHERE wrap_up_due IS NOT NULL AND wrap_up_due <= ? ORDER BY wrap_up_due LIMIT 256
            """
        while true {
            let rows = try SQLRow.fetchAll(db, sql: page, arguments: [time])
            guard !rows.isEmpty else { break }
            for row in rows {
                let wrapUp = WrapUp(until: Timestamp(milliseconds: row[3]))
                guard !wrapUp.holdsSlot(at: Timestamp(milliseconds: time)) else { continue }
                try giveBackSlot(of: row[0], operatorId: row[1], sourceId: row[2], until: wrapUp.until, db)
            }
        }
    }

    private func giveBackSlot(of requestId: Int64, operatorId: Int64?, sourceId: Int64, until: Timestamp, _ db: any SQLDatabase) throws {
        try db.execute(sql: "UPDATE requests SET wrap_up_until = ?, wrap_up_due = NULL WHERE id = ?",
                       arguments: [until.milliseconds, requestId])
        guard let operatorId else { return }
        try db.execute(sql: "UPDATE operators SET current_load = current_load - 1 WHERE id = ?", arguments: [operatorId])
        routing?.adjustLoad(of: operatorId, by: -1, source: sourceId)
        figures.wrapUpsEnded += 1
    }
}
