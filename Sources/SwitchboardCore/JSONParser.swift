import Foundation

/// Why a body is not acceptable JSON, in words an operator can act on.
public enum JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidUTF8
    case syntax(String, offset: Int)
    /// Readers disagree on which of two equal keys wins (Foundation kept the first, most keep
    /// the last), so a body with one cannot be read as its sender meant: it is refused.
    case duplicateKey(String)
    case tooDeep(limit: Int)

    public var description: String {
        switch self {
        case .invalidUTF8: "not valid UTF-8"
        case let .syntax(problem, offset): "\(problem) at byte \(offset)"
        case let .duplicateKey(key): "the key \"\(key)\" appears twice in one object"
        case let .tooDeep(limit): "nested deeper than \(limit) levels"
        }
    }
}

/// Reads RFC 8259 JSON into ``JSONValue``, refusing what Foundation's decoder lets through
/// silently: a key twice in one object. It works on the bytes directly, which also spares
/// intake the Codable machinery (a failed `try?` per type tried for every value).
public enum JSONParser {
    /// Deeper nesting is refused rather than recursed into: no contract message nests past 3.
    public static let depthLimit = 64

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            do throws(JSONParseError) {
                reader.skipWhitespace()
                let value = try reader.value(depth: 0)
                reader.skipWhitespace()
                guard reader.index == buffer.count else { throw reader.unexpected("after the value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func unexpected(_ context: String) -> JSONParseError {
        guard index < bytes.count else { return .syntax("unexpected end \(context)", offset: index) }
        let byte = bytes[index]
        // Outside strings only ASCII belongs; a body that is not UTF-8 at all is told so.
        if byte >= 0x80, String(validating: bytes, as: UTF8.self) == nil { return .invalidUTF8 }
        let shown = (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        return .syntax("unexpected \(shown) \(context)", offset: index)
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw unexpected("where a value should start") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw unexpected("where a value should start")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count,
              memcmp(bytes.baseAddress! + index, word.utf8Start, length) == 0
        else { throw unexpected("where a value should start") }
        index += length
    }

    mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= JSONParser.depthLimit else { throw .tooDeep(limit: JSONParser.depthLimit) }
        index += 1
        var object: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected("where a key should start") }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw unexpected("after a key (expected ':')") }
            index += 1
            skipWhitespace()
            let member = try value(depth: depth)
            if object.updateValue(member, forKey: key) != nil { throw .duplicateKey(key) }
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("in an object") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(object)
            default: throw unexpected("in an object (expected ',' or '}')")
            }
        }
    }

    mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= JSONParser.depthLimit else { throw .tooDeep(limit: JSONParser.depthLimit) }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("in an array") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(items)
            default: throw unexpected("in an array (expected ',' or ']')")
            }
        }
    }

    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw unexpected("in a number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw unexpected("after a decimal point") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw unexpected("in an exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // Only ASCII digits and signs were accepted above, so the text is valid as it stands.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        guard let double = Double(text), double.isFinite else { throw .syntax("number out of range", offset: start) }
        return .number(double)
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    mutating func string() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes, as in nearly every message; one validation, one copy.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                return try validated(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw unexpected("in a string (control characters must be escaped)") }
            index += 1
        }
        var unescaped = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return try unescaped.withUnsafeBufferPointer { buffer throws(JSONParseError) in try validated(buffer) }
            case UInt8(ascii: "\\"):
                index += 1
                try escape(into: &unescaped)
            case ..<0x20:
                throw unexpected("in a string (control characters must be escaped)")
            default:
                unescaped.append(byte)
                index += 1
            }
        }
        throw unexpected("in a string (no closing quote)")
    }

    func validated(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> String {
        guard let text = String(validating: buffer, as: UTF8.self) else { throw .invalidUTF8 }
        return text
    }

    mutating func escape(into output: inout [UInt8]) throws(JSONParseError) {
        guard index < bytes.count else { throw unexpected("in an escape") }
        let simple: UInt8?
        switch bytes[index] {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default: throw unexpected("in an escape")
        }
        index += 1
        if let simple {
            output.append(simple)
            return
        }
        var scalar = try hex4()
        if (0xD800...0xDBFF).contains(scalar) {
            // A high surrogate must be followed by an escaped low one; together they are one scalar.
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw .syntax("unpaired surrogate in a \\u escape", offset: index)
            }
            index += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw .syntax("unpaired surrogate in a \\u escape", offset: index) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw .syntax("unpaired surrogate in a \\u escape", offset: index)
        }
        output.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw unexpected("in a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw unexpected("in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
