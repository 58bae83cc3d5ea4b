
/// Counter updates from intake, summed in memory and written once per batch: one UPDATE per
/// operator and source the batch touched, instead of two per request. Flushed before
/// anything else reads the tables in the same transaction (every command) and before commit.
struct PendingCounters {
    var operatorLoad: [Int64: Int] = [:]
    /// Offers made by intake: load, but not yet a request the operator took.
    var operatorOffers: [Int64: Int] = [:]
    var sourceRequests: [Int64: Int] = [:]
    /// The latest time intake gave each operator a request (`longest_idle` orders by it),
    /// written with the operator's load: every operator here is in one of the two above.
    var lastAssigned: [Int64: Int64] = [:]

    mutating func flush(_ db: any SQLDatabase) throws {
        // An intake assignment adds one to both the operator's load and its request count.
        // (A single `UPDATE … FROM json_each(?)` for all of them built a temporary table on
        // every flush, which cost more than these primary-key updates for typical batches.)
        if !operatorLoad.isEmpty {
            let update = """
                UPDATE operators SET current_load = current_load + ?, request_count = request_count + ?,
                    last_assigned_at = COALESCE(?, last_assigned_at) WHERE id = ?
                """
            for (id, delta) in operatorLoad {
                try db.write(sql: update, arguments: [delta, delta, lastAssigned.removeValue(forKey: id), id])
            }
            operatorLoad.removeAll(keepingCapacity: true)
        }
        if !operatorOffers.isEmpty {
            let update = "UPDATE operators SET current_load = current_load + ?, last_assigned_at = COALESCE(?, last_assigned_at) WHERE id = ?"
            for (id, delta) in operatorOffers { try db.write(sql: update, arguments: [delta, lastAssigned.removeValue(forKey: id), id]) }
            operatorOffers.removeAll(keepingCapacity: true)
        }
        if !sourceRequests.isEmpty {
            let update = "UPDATE sources SET request_count = request_count + ? WHERE id = ?"
            for (id, delta) in sourceRequests { try db.write(sql: update, arguments: [delta, id]) }
            sourceRequests.removeAll(keepingCapacity: true)
        }
    }
}
