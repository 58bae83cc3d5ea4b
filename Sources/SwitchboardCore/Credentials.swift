/// What the audit trail must never keep: no command takes a credential, but a sender may
/// still put one in (an extra argument, a URL with its password), and arguments are
/// otherwise stored as sent.
extension JSONValue {
    /// The value with the value of every credential-like key replaced by `"***"`, and the
    /// password of every `scheme://user:password@host` string hidden, at any depth.
    public func withCredentialsHidden() -> JSONValue {
        switch self {
        case let .object(fields):
            .object(fields.reduce(into: [:]) { hidden, field in
                hidden[field.key] = Self.namesCredential(field.key) ? .string("***") : field.value.withCredentialsHidden()
            })
        case let .array(items): .array(items.map { $0.withCredentialsHidden() })
        case let .string(text): .string(Self.hidingURLPasswords(in: text))
        default: self
        }
    }

    private static let credentialWords = ["password", "passwd", "secret", "token", "credential", "api_key", "api-key", "apikey", "authorization", "private_key"]
        .map { Array($0.utf8) }

    // Both checks run on every audited command's arguments, so they scan bytes: String's
    // `contains` went through Foundation's `range(of:)` (CFString on Linux), which cost a
    // console's `request.accept` 7% of the writer's time (perf, switchboard-bench --only offers).
    static func namesCredential(_ key: String) -> Bool {
        // ASCII lowering is enough: every word is ASCII.
        let lowered = key.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        return credentialWords.contains { lowered.containsBytes($0) }
    }

    private static let schemeSeparator = Array("://".utf8)

    /// `amqp://ops:hunter2@host` → `amqp://ops:***@host`, for every such URL in the text.
    static func hidingURLPasswords(in text: String) -> String {
        guard text.utf8.containsBytes(schemeSeparator) else { return text }
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            // The authority ends at the first slash, space, query or fragment.
            let authorityEnd = rest.firstIndex { "/ ?#\n\t".contains($0) } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                result += authority[...colon] + "***" + authority[at...]
            } else {
                result += authority
            }
            rest = rest[authorityEnd...]
        }
        return result + rest
    }
}

extension Collection<UInt8> {
    /// Whether `part` occurs in these bytes, by a plain scan (the parts here are a few bytes).
    fileprivate func containsBytes(_ part: [UInt8]) -> Bool {
        var start = startIndex
        while true {
            var position = start
            var matched = true
            for byte in part {
                guard position != endIndex else { return false }
                if self[position] != byte { matched = false; break }
                formIndex(after: &position)
            }
            if matched { return true }
            guard start != endIndex else { return false }
            formIndex(after: &start)
        }
    }
}
