import CAMQPShims
import CRabbitMQ

/// A value in an AMQP field table (message headers, queue arguments).
public enum AMQPFieldValue: Sendable, Equatable, Hashable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    case bytes([UInt8])
    case timestamp(UInt64)
    case table(AMQPTable)
    case array([AMQPFieldValue])
    case void

    public var stringValue: String? {
        switch self {
        case let .string(s): s
        case let .bytes(b): String(validating: b, as: UTF8.self)
        default: nil
        }
    }
}

public typealias AMQPTable = [String: AMQPFieldValue]

extension AMQPFieldValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Owns the C memory of the tables, strings and bodies handed to one rabbitmq-c call, and
/// frees it all when the call is done. rabbitmq-c only borrows what it is given.
///
/// Strings and bytes are copied into shared blocks: a publish names an exchange, a routing key
/// and up to seven properties, which cost two allocations each when each had its own.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []
    /// Where the next bytes go in the current block, and how many still fit.
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private static let blockSize = 512

    deinit { allocations.forEach { $0.deallocate() } }

    func bytes(_ text: String) -> amqp_bytes_t {
        var text = text
        return text.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
    }

    func bytes(_ raw: [UInt8]) -> amqp_bytes_t { raw.withUnsafeBytes { bytes($0) } }

    private func bytes(_ raw: UnsafeRawBufferPointer) -> amqp_bytes_t {
        guard let source = raw.baseAddress, !raw.isEmpty else { return amqp_bytes_t(len: 0, bytes: nil) }
        if raw.count > remaining {
            // A value larger than a block gets one of its own size.
            let size = max(raw.count, Self.blockSize)
            let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 1)
            allocations.append(block)
            (cursor, remaining) = (block, size)
        }
        let memory = cursor!
        memory.copyMemory(from: source, byteCount: raw.count)
        (cursor, remaining) = (memory + raw.count, remaining - raw.count)
        return amqp_bytes_t(len: raw.count, bytes: memory)
    }

    func table(_ table: AMQPTable) -> amqp_table_t {
        guard !table.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let entries = UnsafeMutablePointer<amqp_table_entry_t>.allocate(capacity: table.count)
        allocations.append(UnsafeMutableRawPointer(entries))
        for (index, (key, value)) in table.sorted(by: { $0.key < $1.key }).enumerated() {
            entries[index] = amqp_table_entry_t(key: bytes(key), value: field(value))
        }
        return amqp_table_t(num_entries: Int32(table.count), entries: entries)
    }

    func field(_ value: AMQPFieldValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case let .string(s):
            field.kind = fieldKind(AMQP_FIELD_KIND_UTF8)
            field.value.bytes = bytes(s)
        case let .bytes(b):
            field.kind = fieldKind(AMQP_FIELD_KIND_BYTES)
            field.value.bytes = bytes(b)
        case let .int(i):
            field.kind = fieldKind(AMQP_FIELD_KIND_I64)
            field.value.i64 = i
        case let .bool(b):
            field.kind = fieldKind(AMQP_FIELD_KIND_BOOLEAN)
            field.value.boolean = b ? 1 : 0
        case let .double(d):
            field.kind = fieldKind(AMQP_FIELD_KIND_F64)
            field.value.f64 = d
        case let .timestamp(t):
            field.kind = fieldKind(AMQP_FIELD_KIND_TIMESTAMP)
            field.value.u64 = t
        case let .table(t):
            field.kind = fieldKind(AMQP_FIELD_KIND_TABLE)
            field.value.table = table(t)
        case let .array(items):
            field.kind = fieldKind(AMQP_FIELD_KIND_ARRAY)
            let entries = UnsafeMutablePointer<amqp_field_value_t>.allocate(capacity: max(items.count, 1))
            allocations.append(UnsafeMutableRawPointer(entries))
            for (index, item) in items.enumerated() { entries[index] = self.field(item) }
            field.value.array = amqp_array_t(num_entries: Int32(items.count), entries: entries)
        case .void:
            field.kind = fieldKind(AMQP_FIELD_KIND_VOID)
        }
        return field
    }
}

func fieldKind(_ k: amqp_field_value_kind_t) -> UInt8 { UInt8(truncatingIfNeeded: k.rawValue) }

extension amqp_bytes_t {
    /// A copy of the borrowed bytes, safe to keep after the frame or envelope is released.
    var array: [UInt8] {
        guard len > 0, let bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: len))
    }

    var string: String { String(decoding: array, as: UTF8.self) }
}

extension amqp_table_t {
    var swiftTable: AMQPTable {
        var result: AMQPTable = [:]
        for index in 0..<Int(num_entries) {
            let entry = entries[index]
            result[entry.key.string] = entry.value.swiftValue
        }
        return result
    }
}

extension amqp_field_value_t {
    var swiftValue: AMQPFieldValue {
        switch kind {
        case fieldKind(AMQP_FIELD_KIND_UTF8): .string(value.bytes.string)
        case fieldKind(AMQP_FIELD_KIND_BYTES): .bytes(value.bytes.array)
        case fieldKind(AMQP_FIELD_KIND_BOOLEAN): .bool(value.boolean != 0)
        case fieldKind(AMQP_FIELD_KIND_I8): .int(Int64(value.i8))
        case fieldKind(AMQP_FIELD_KIND_U8): .int(Int64(value.u8))
        case fieldKind(AMQP_FIELD_KIND_I16): .int(Int64(value.i16))
        case fieldKind(AMQP_FIELD_KIND_U16): .int(Int64(value.u16))
        case fieldKind(AMQP_FIELD_KIND_I32): .int(Int64(value.i32))
        case fieldKind(AMQP_FIELD_KIND_U32): .int(Int64(value.u32))
        case fieldKind(AMQP_FIELD_KIND_I64): .int(value.i64)
        case fieldKind(AMQP_FIELD_KIND_U64): .int(Int64(truncatingIfNeeded: value.u64))
        case fieldKind(AMQP_FIELD_KIND_F32): .double(Double(value.f32))
        case fieldKind(AMQP_FIELD_KIND_F64): .double(value.f64)
        case fieldKind(AMQP_FIELD_KIND_TIMESTAMP): .timestamp(value.u64)
        case fieldKind(AMQP_FIELD_KIND_TABLE): .table(value.table.swiftTable)
        case fieldKind(AMQP_FIELD_KIND_ARRAY):
            .array((0..<Int(value.array.num_entries)).map { value.array.entries[$0].swiftValue })
        default: .void
        }
    }
}
