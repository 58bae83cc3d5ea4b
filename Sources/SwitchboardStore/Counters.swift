import GRDB

/// Counter updates from intake, summed in memory and written once per batch: one statement
/// for all operators and one for all sources, instead of two UPDATEs per request. Flushed
/// before anything else reads the tables in the same transaction (every command) and before
/// commit.
struct PendingCounters {
    var operatorLoad: [Int64: Int] = [:]
    var sourceRequests: [Int64: Int] = [:]

    mutating func flush(_ db: Database) throws {
        // An intake assignment adds one to both the operator's load and its request count.
        if !operatorLoad.isEmpty {
            try db.cachedStatement(sql: """
                UPDATE operators SET current_load = current_load + d.value, request_count = request_count + d.value
                FROM (SELECT CAST(key AS INTEGER) AS id, value FROM json_each(?)) AS d WHERE operators.id = d.id
                """).execute(arguments: [Self.json(operatorLoad)])
            operatorLoad.removeAll(keepingCapacity: true)
        }
        if !sourceRequests.isEmpty {
            try db.cachedStatement(sql: """
                UPDATE sources SET request_count = request_count + d.value
                FROM (SELECT CAST(key AS INTEGER) AS id, value FROM json_each(?)) AS d WHERE sources.id = d.id
                """).execute(arguments: [Self.json(sourceRequests)])
            sourceRequests.removeAll(keepingCapacity: true)
        }
    }

    /// `{"3":2,"7":1}`: the deltas as one JSON object for `json_each`.
    private static func json(_ deltas: [Int64: Int]) -> String {
        "{" + deltas.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }
}
