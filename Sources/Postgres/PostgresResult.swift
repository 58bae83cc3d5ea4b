import CLibPQ

/// A value sent with a statement: text and integers go as text, bytes as binary.
public enum PostgresParameter: Sendable, Equatable {
    case null
    case text(String)
    case integer(Int64)
    case bytes([UInt8])
}

/// The rows of one statement, copied out of libpq's result at once so that nothing here
/// outlives or shares its C memory. Values are read as PostgreSQL wrote them in text format.
public struct PostgresResult: Sendable, Equatable {
    public enum Cell: Sendable, Equatable {
        case null
        case text(String)
        /// A `bytea` column's value, decoded from its hex text form.
        case bytes([UInt8])
    }

    public let columns: [String]
    /// Each column's type, by its OID in `pg_type` (20 bigint, 16 boolean, 17 bytea...).
    public let columnTypes: [UInt32]
    public let rows: [[Cell]]
    /// Rows inserted, updated or deleted; 0 for a query.
    public let affectedRows: Int

    init(_ result: OpaquePointer) {
        let columnCount = Int(PQnfields(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        columnTypes = (0..<columnCount).map { UInt32(PQftype(result, Int32($0))) }
        // bytea arrives as "\x" and hex digits in text format.
        let isBytes = columnTypes.map { $0 == 17 }
        rows = (0..<PQntuples(result)).map { row in
            (0..<columnCount).map { column in
                if PQgetisnull(result, row, Int32(column)) == 1 { return .null }
                let text = String(cString: PQgetvalue(result, row, Int32(column)))
                return isBytes[column] ? .bytes(Self.decodeHex(text)) : .text(text)
            }
        }
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    static func decodeHex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        let digits = Array(text.utf8.dropFirst(2))
        bytes.reserveCapacity(digits.count / 2)
        func value(_ digit: UInt8) -> UInt8 { digit <= UInt8(ascii: "9") ? digit &- UInt8(ascii: "0") : (digit | 0x20) &- UInt8(ascii: "a") &+ 10 }
        var index = 0
        while index + 1 < digits.count {
            bytes.append(value(digits[index]) << 4 | value(digits[index + 1]))
            index += 2
        }
        return bytes
    }

    /// The first row's first value, as text (a count, a flag, a returned id).
    public var scalar: String? {
        guard let cell = rows.first?.first, case let .text(text) = cell else { return nil }
        return text
    }
}
