/// A value bound to a statement or read from a row, the same whichever database holds the
/// store (SQLite or PostgreSQL): the vocabulary of the store's SQL, with no driver's types.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift type the store binds and reads: each says how it becomes an ``SQLValue`` and how
/// it is read back. Reading is lenient the way SQLite is (an integer column read as Bool),
/// so that both databases give the store the same values.
public protocol SQLValueConvertible {
    var sqlValue: SQLValue { get }
    /// The value, or nil when `value` (never `.null`) cannot be read as this type.
    static func fromSQL(_ value: SQLValue) -> Self?
}

extension Int64: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self) }
    public static func fromSQL(_ value: SQLValue) -> Int64? {
        switch value {
        case let .integer(number): number
        case let .real(number): Int64(exactly: number.rounded(.towardZero))
        case let .text(text): Int64(text)
        case .null, .blob: nil
        }
    }
}

extension Int: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static func fromSQL(_ value: SQLValue) -> Int? { Int64.fromSQL(value).map { Int($0) } }
}

extension Bool: SQLValueConvertible {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    public static func fromSQL(_ value: SQLValue) -> Bool? { Int64.fromSQL(value).map { $0 != 0 } }
}

extension String: SQLValueConvertible {
    public var sqlValue: SQLValue { .text(self) }
    public static func fromSQL(_ value: SQLValue) -> String? {
        switch value {
        case let .text(text): text
        case let .blob(bytes): String(decoding: bytes, as: UTF8.self)
        case let .integer(number): String(number)
        case let .real(number): String(number)
        case .null: nil
        }
    }
}

extension Array: SQLValueConvertible where Element == UInt8 {
    public var sqlValue: SQLValue { .blob(self) }
    public static func fromSQL(_ value: SQLValue) -> [UInt8]? {
        switch value {
        case let .blob(bytes): bytes
        case let .text(text): Array(text.utf8)
        case .null, .integer, .real: nil
        }
    }
}

/// A statement's arguments, written as an array literal the way the store always has:
/// `[id, name, nil]`.
public struct SQLArguments: Sendable, Equatable, ExpressibleByArrayLiteral {
    public var values: [SQLValue]

    public init(arrayLiteral elements: (any SQLValueConvertible)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }

    public init(_ values: [SQLValue]) { self.values = values }

    public static func += (arguments: inout SQLArguments, more: SQLArguments) {
        arguments.values += more.values
    }
}
