/// Writes JSON bytes directly. Events are encoded once per request on the hot path, where
/// Foundation's `JSONEncoder` cost a quarter of all intake time; this writes the same JSON
/// (a test holds the two together) at a fraction of the cost.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Runs of bytes that need no escape go in with one copy each.
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                appendEscaped(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        bytes.append(0x5C)
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            let hex: StaticString = "0123456789abcdef"
            hex.withUTF8Buffer { digits in
                bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
            }
        }
    }

    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    public mutating func integer(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    public mutating func integer(_ value: Int64?) {
        if let value { integer(value) } else { null() }
    }

    public mutating func timestamp(_ value: Timestamp?) {
        guard let value else { return null() }
        separate()
        bytes.append(UInt8(ascii: "\""))
        value.write(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Bytes that already are a JSON value (an encoded event), written as they are.
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    /// A line break between documents (newline-delimited JSON); JSON strings never hold a raw one.
    public mutating func newline() {
        bytes.append(0x0A)
        needsComma = false
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = false
    }
}

extension JSONWriter {
    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
        needsComma = true
    }

    /// The request shape (`request.json`), as `Request`'s `encode(to:)` writes it.
    public mutating func request(_ r: Request) {
        beginObject()
        key("id"); integer(r.id)
        key("user_id"); integer(r.userId)
        key("source_id"); integer(r.sourceId)
        key("operator_id"); integer(r.operatorId)
        key("message"); string(r.message)
        key("status"); string(r.status.rawValue)
        key("created_at"); timestamp(r.createdAt)
        key("assigned_at"); timestamp(r.assignedAt)
        key("closed_at"); timestamp(r.closedAt)
        if let expires = r.offerExpiresAt { key("offer_expires_at"); timestamp(expires) }
        key("priority"); integer(Int64(r.priority))
        if let escalated = r.escalatedAt { key("escalated_at"); timestamp(escalated) }
        thirdEditionFields(r)
        endObject()
    }

    /// The fields competencies and the floor's day added, as `Request`'s `encode(to:)`
    /// writes them, in the request shape and in every event's copy of it.
    mutating func thirdEditionFields(_ r: Request) {
        key("requires"); requirementList(r.requires)
        key("relaxed"); strings(r.relaxed)
        key("wrap_up_until"); timestamp(r.wrapUpUntil)
        key("transfer_count"); integer(Int64(r.transferCount))
        key("first_assigned_at"); timestamp(r.firstAssignedAt)
    }

    /// A list of requirements, each object's keys in sorted order (`min_level`,
    /// `relax_after_seconds`, `skill`), as the store keeps them and `Requirement` decodes them.
    public mutating func requirementList(_ requires: [Requirement]) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for requirement in requires {
            beginObject()
            key("min_level"); integer(Int64(requirement.minLevel))
            if let relax = requirement.relaxAfterSeconds { key("relax_after_seconds"); integer(Int64(relax)) }
            key("skill"); string(requirement.skill)
            endObject()
        }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    mutating func strings(_ items: [String]) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for item in items { string(item) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }
}

extension Event {
    /// The event as JSON: the same document `JSONEncoder` makes of it, written directly.
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("event"); w.string(event.rawValue)
        w.key("event_id"); w.string(eventId)
        if let sequence { w.key("sequence"); w.integer(sequence) }
        w.key("occurred_at"); w.timestamp(occurredAt)
        w.key("request")
        let r = request.request
        w.beginObject()
        w.key("id"); w.integer(r.id)
        w.key("user_id"); w.integer(r.userId)
        w.key("user_identifier"); w.string(request.userIdentifier)
        w.key("source_id"); w.integer(r.sourceId)
        w.key("source_identifier"); w.string(request.sourceIdentifier)
        w.key("operator_id"); w.integer(r.operatorId)
        w.key("operator_name"); w.string(request.operatorName)
        w.key("message"); w.string(r.message)
        w.key("status"); w.string(r.status.rawValue)
        w.key("created_at"); w.timestamp(r.createdAt)
        w.key("assigned_at"); w.timestamp(r.assignedAt)
        w.key("closed_at"); w.timestamp(r.closedAt)
        if let expires = r.offerExpiresAt { w.key("offer_expires_at"); w.timestamp(expires) }
        w.key("priority"); w.integer(Int64(r.priority))
        if let escalated = r.escalatedAt { w.key("escalated_at"); w.timestamp(escalated) }
        w.thirdEditionFields(r)
        w.endObject()
        if let route { w.key("route"); w.string(route.rawValue) }
        if let waitedMs { w.key("waited_ms"); w.integer(waitedMs) }
        if let dropped { w.key("dropped"); w.strings(dropped) }
        if let unmatched { w.key("unmatched"); w.strings(unmatched) }
        if let transfer {
            w.key("from_operator_id"); w.integer(transfer.fromOperatorId)
            w.key("to_operator_id"); w.integer(transfer.toOperatorId)
            w.key("reason"); w.string(transfer.reason)
        }
        if let waiting {
            w.key("reason"); w.string(waiting.reason.rawValue)
            if let opensAt = waiting.opensAt { w.key("opens_at"); w.timestamp(opensAt) }
        }
        if let decline {
            w.key("operator_id"); w.integer(decline.operatorId)
            w.key("reason"); w.string(decline.reason.rawValue)
            w.key("rejection_reason"); w.string(decline.rejectionReason)
        }
        w.endObject()
        return w.bytes
    }
}

extension JSONWriter {
    /// A parsed value written back, object keys in sorted order: the audit trail stores a
    /// command's arguments this way on the console's hot path (every accept).
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case let .bool(flag): bool(flag)
        case let .integer(number): integer(number)
        case let .number(number):
            separate()
            bytes.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
            needsComma = true
        case let .string(text): string(text)
        case let .array(items):
            separate()
            bytes.append(UInt8(ascii: "["))
            needsComma = false
            for item in items { self.value(item) }
            bytes.append(UInt8(ascii: "]"))
            needsComma = true
        case let .object(members):
            beginObject()
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                string(name)
                bytes.append(UInt8(ascii: ":"))
                needsComma = false
                self.value(member)
            }
            endObject()
        }
    }
}

extension JSONValue {
    /// This value as JSON text, keys sorted.
    public func jsonBytes() -> [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.value(self)
        return writer.bytes
    }
}
