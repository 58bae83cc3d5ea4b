/// The contract's limits in one place.
public enum Limits {
    public static let nameLength = 200
    public static let messageLength = 10_000
    public static let userIdentifierLength = 255
    public static let maxLoadLimit = 1...10_000
    public static let weight = 1...100
    public static let listLimit = 1...1_000
    public static let defaultListLimit = 100
    /// 0 turns offers off.
    public static let offerTimeoutSeconds = 0...3_600
    public static let reasonLength = 1_000
    /// `request.transfer`'s `reason`.
    public static let transferReasonLength = 200
    /// Requests one `request.purge` archives and deletes at most: about 40 ms of the writer's
    /// time (switchboard-bench --only retention); the reply's `remaining` says whether to go on.
    public static let purgeBatch = 2_000
    /// Set-aside events one `events.resend` puts back at most; the reply's `remaining` says
    /// whether to go on.
    public static let resendBatch = 10_000
    /// Intake's and `request.set_priority`'s `priority`: higher is served first.
    public static let priority = 0...9
    /// The priority an escalated request is raised to.
    public static let escalatedPriority = 9
    /// 0 turns escalation off.
    public static let maxWaitSeconds = 0...86_400
    /// 0: an operator's slot frees when the request closes; otherwise it stays taken this long.
    public static let wrapUpSeconds = 0...3_600
    /// 0 turns sticky routing off; at most 30 days.
    public static let stickySeconds = 0...2_592_000
    /// `stats.service_level`'s `thresholds_seconds`: 1 to 10 of them, each up to a week.
    public static let thresholdCount = 1...10
    public static let thresholdSeconds = 1...604_800
    public static let defaultThresholdsSeconds = [30, 60, 300]

    /// `^[a-z0-9][a-z0-9_.-]{0,63}$`
    public static func isValidIdentifier(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        func lowerOrDigit(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) }
        return lowerOrDigit(bytes[0]) && bytes.dropFirst().allSatisfy { lowerOrDigit($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
    }
}

/// Reads typed fields out of a JSON object, collecting a ``FieldProblem`` for every field
/// that is missing or wrong instead of stopping at the first, so one reply names them all.
public struct FieldReader {
    public private(set) var problems: [FieldProblem] = []
    private let object: [String: JSONValue]
    private let prefix: String
    private var seen: Set<String> = []

    public init(_ object: [String: JSONValue], prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    public mutating func problem(_ field: String, _ text: String) {
        problems.append(FieldProblem(field: prefix + field, problem: text))
    }

    private mutating func value(_ key: String, required: Bool) -> JSONValue? {
        seen.insert(key)
        switch object[key] {
        case nil, .null?:
            if required { problem(key, "is required") }
            return nil
        case let value?:
            return value
        }
    }

    /// Text that must not be blank; returned trimmed.
    public mutating func text(_ key: String, maxLength: Int, required: Bool = true) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case let .string(raw) = value else {
            problem(key, "must be a string, got \(value.kindName)")
            return nil
        }
        // SQLite's C API reads text up to the first NUL, so it would store "a\u{0}b" as "a";
        // PostgreSQL refuses it outright. Refused here, no store ever sees it.
        if raw.utf8.contains(0) {
            problem(key, "must not contain U+0000")
            return nil
        }
        let trimmed = raw.trimmingWhitespace()
        if trimmed.isEmpty {
            problem(key, "must not be empty")
            return nil
        }
        // Counting characters walks grapheme clusters; a text of no more bytes than the limit
        // cannot have more characters, so only a longer one is counted (every message's text).
        if raw.utf8.count > maxLength, raw.count > maxLength {
            problem(key, "must be at most \(maxLength) characters, got \(raw.count)")
            return nil
        }
        return trimmed
    }

    public mutating func identifier(_ key: String, required: Bool = true) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case let .string(text) = value else {
            problem(key, "must be a string, got \(value.kindName)")
            return nil
        }
        guard Limits.isValidIdentifier(text) else {
            problem(key, "must match ^[a-z0-9][a-z0-9_.-]{0,63}$")
            return nil
        }
        return text
    }

    public mutating func integer(_ key: String, in range: ClosedRange<Int>, required: Bool = true) -> Int? {
        guard let value = value(key, required: required) else { return nil }
        return integer(value, field: key, in: range)
    }

    /// An integer within `range`, read from a value already taken out (an array's item).
    public mutating func integer(_ value: JSONValue, field: String, in range: ClosedRange<Int>) -> Int? {
        guard let number = Self.integer(value) else {
            problem(field, "must be an integer, got \(value.kindName)")
            return nil
        }
        guard number >= Int64(range.lowerBound), number <= Int64(range.upperBound) else {
            problem(field, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return Int(number)
    }

    public mutating func id(_ key: String, required: Bool = true) -> Int64? {
        guard let value = value(key, required: required) else { return nil }
        guard let number = Self.integer(value), number > 0 else {
            problem(key, "must be a positive integer")
            return nil
        }
        return number
    }

    public mutating func bool(_ key: String, required: Bool = false) -> Bool? {
        guard let value = value(key, required: required) else { return nil }
        guard case let .bool(flag) = value else {
            problem(key, "must be true or false, got \(value.kindName)")
            return nil
        }
        return flag
    }

    /// A time in RFC 3339 (`2026-11-25T00:00:00Z`, or with an offset or fractions).
    public mutating func timestamp(_ key: String, required: Bool = true) -> Timestamp? {
        guard let value = value(key, required: required) else { return nil }
        guard case let .string(text) = value, let time = Timestamp(rfc3339: text) else {
            problem(key, "must be an RFC 3339 time such as 2026-11-25T00:00:00Z")
            return nil
        }
        return time
    }

    public mutating func array(_ key: String, required: Bool = true) -> [JSONValue]? {
        guard let value = value(key, required: required) else { return nil }
        guard case let .array(items) = value else {
            problem(key, "must be an array, got \(value.kindName)")
            return nil
        }
        return items
    }

    /// A JSON object's members; nil when absent.
    public mutating func object(_ key: String, required: Bool = false) -> [String: JSONValue]? {
        guard let value = value(key, required: required) else { return nil }
        guard case let .object(members) = value else {
            problem(key, "must be an object, got \(value.kindName)")
            return nil
        }
        return members
    }

    /// Whether the field is present and `null`: a setting cleared, where absent keeps it.
    public mutating func isNull(_ key: String) -> Bool {
        guard case .null? = object[key] else { return false }
        seen.insert(key)
        return true
    }

    /// A field's name as problems name it (nested readers add the path before it).
    func prefixed(_ field: String) -> String { prefix + field }

    public mutating func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type, required: Bool = false) -> E?
    where E.RawValue == String {
        guard let value = value(key, required: required) else { return nil }
        guard case let .string(text) = value, let parsed = E(rawValue: text) else {
            problem(key, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return parsed
    }

    /// Reports keys nobody asked for: a misspelt optional field would otherwise be a silent no-op.
    public mutating func rejectUnknownFields() {
        for key in object.keys.sorted() where !seen.contains(key) {
            problem(key, "is not a known field")
        }
    }

    public mutating func merge(_ other: FieldReader) { problems += other.problems }

    /// Integers may arrive as JSON integers or as whole doubles (`10.0`); anything else is wrong.
    static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case let .integer(i): i
        case let .number(d) where d.rounded() == d && abs(d) < 9e15: Int64(d)
        default: nil
        }
    }
}

extension String {
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        // Nearly every text has nothing to trim: kept as it is, not copied.
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return self }
        return String(scalars[first...last])
    }
}
