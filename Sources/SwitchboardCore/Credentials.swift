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

    private static let credentialWords = ["password", "passwd", "secret", "token", "credential", "api_key", "apikey", "authorization", "private_key"]

    static func namesCredential(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return credentialWords.contains { lowered.contains($0) }
    }

    /// `amqp://ops:hunter2@host` → `amqp://ops:***@host`, for every such URL in the text.
    static func hidingURLPasswords(in text: String) -> String {
        guard text.contains("://") else { return text }
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
