import SwitchboardCore

/// What a batch's intake reads, asked for the whole batch up front. On a database behind a
/// network every answer costs a round trip (70 µs on loopback on a 2-core machine here, more
/// than SQLite takes for a whole request), so a batch asks once per 64 message ids and once
/// per 64 users it does not know, reserves the ids of the rows it makes in one go, and then
/// writes every row without waiting for an answer (``SQLDatabase/write(sql:arguments:)``).
struct IntakeLookups {
    /// Message ids this batch has looked up, and the request each made (before or in this batch).
    private var checked: Set<String> = []
    private var requestByMessageId: [String: Int64] = [:]
    /// Users this batch looked for and did not find: their first request makes them.
    private var absentUsers: Set<String> = []
    var requestIds = IdReservation(table: "requests")
    var userIds = IdReservation(table: "users")

    /// One statement for every chunk: padded with NULLs, which match nothing.
    static let chunk = 64
    private static let placeholders = Array(repeating: "?", count: chunk).joined(separator: ", ")
    private static let processedSQL = "SELECT message_id, request_id FROM processed_messages WHERE message_id IN (\(placeholders))"
    private static let usersSQL = "SELECT identifier, id FROM users WHERE identifier IN (\(placeholders))"

    /// How many requests the batch may make at most: its intake messages.
    private(set) var expectedRequests = 0

    /// Nothing looked up: every question goes to the database.
    init() {}

    /// Looks up the message ids of `items`' intake, and those of its users not in `known`
    /// (the store's cache, which gains what is found).
    init(_ items: [WorkItem], known: inout [String: Int64], _ db: any SQLDatabase) throws {
        var messageIds: [String] = []
        var identifiers: [String] = []
        for case let .intake(message, messageId) in items {
            expectedRequests += 1
            if let messageId { messageIds.append(messageId) }
            identifiers.append(message.userIdentifier)
        }
        for ids in Self.chunks(of: messageIds) {
            checked.formUnion(ids)
            try db.forEachRow(sql: Self.processedSQL, arguments: Self.padded(ids)) { row in
                requestByMessageId[row[0] as String] = row[1] as Int64
            }
        }
        let unknown = Array(Set(identifiers.filter { known[$0] == nil }))
        for identifiers in Self.chunks(of: unknown) {
            var absent = Set(identifiers)
            try db.forEachRow(sql: Self.usersSQL, arguments: Self.padded(identifiers)) { row in
                let identifier: String = row[0]
                known[identifier] = row[1] as Int64
                absent.remove(identifier)
            }
            absentUsers.formUnion(absent)
        }
    }

    /// The request `messageId` made: `.some(nil)` when it made none yet; nil when this batch
    /// did not look it up.
    func request(madeBy messageId: String) -> Int64?? {
        guard checked.contains(messageId) else { return nil }
        return .some(requestByMessageId[messageId])
    }

    mutating func noteRequest(_ requestId: Int64, madeBy messageId: String) {
        checked.insert(messageId)
        requestByMessageId[messageId] = requestId
    }

    /// Whether the user was looked for in this batch and is not stored (yet).
    func isAbsent(_ identifier: String) -> Bool { absentUsers.contains(identifier) }

    var absentUserCount: Int { absentUsers.count }

    mutating func noteUserMade(_ identifier: String) { absentUsers.remove(identifier) }

    private static func chunks(of values: [String]) -> [ArraySlice<String>] {
        stride(from: 0, to: values.count, by: chunk).map { values[$0..<min($0 + chunk, values.count)] }
    }

    private static func padded(_ values: ArraySlice<String>) -> SQLArguments {
        SQLArguments(values.map { SQLValue.text($0) } + Array(repeating: .null, count: chunk - values.count))
    }
}

/// Ids reserved for a table's new rows in this transaction, taken one at a time.
struct IdReservation {
    let table: String
    private var free: ArraySlice<Int64> = []

    init(table: String) { self.table = table }

    /// The next id, reserving `wanted` more (at least one) when none is left.
    mutating func next(wanting wanted: Int, _ db: any SQLDatabase) throws -> Int64 {
        if free.isEmpty { free = ArraySlice(try db.reserveIds(in: table, count: max(wanted, 1))) }
        return free.removeFirst()
    }
}
