/// `SWITCHBOARD_API_TOKENS`: which user an HTTP API call's `Authorization: Bearer <token>`
/// makes it. The user's role then comes from the role variables, as a broker user's does.
public struct APITokens: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var user: String
        public var token: [UInt8]
    }

    public var entries: [Entry]

    /// What is wrong with the setting, by pair.
    public struct Problem: Error, Equatable {
        public var field: String
        public var problem: String
    }

    public init(entries: [Entry] = []) { self.entries = entries }

    /// No tokens: calls carry no user (every call is allowed while no role is set).
    public var isEmpty: Bool { entries.isEmpty }

    /// Reads comma-separated `user:token` pairs. A problem names the pair by position and
    /// never shows a token.
    public static func parse(_ text: String) -> Result<APITokens, Problem> {
        var entries: [Entry] = []
        for (position, pair) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let field = "pair \(position + 1)"
            guard let colon = pair.firstIndex(of: ":") else {
                return .failure(Problem(field: field, problem: "must be user:token"))
            }
            let user = pair[..<colon].trimmingCharacters(in: .whitespaces)
            let token = pair[pair.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !user.isEmpty else { return .failure(Problem(field: field, problem: "has no user before the colon")) }
            guard token.utf8.count >= 16 else {
                return .failure(Problem(field: field, problem: "has a token shorter than 16 characters; make a long random one"))
            }
            guard !entries.contains(where: { $0.token == Array(token.utf8) }) else {
                return .failure(Problem(field: field, problem: "repeats another pair's token: each token names one user"))
            }
            entries.append(Entry(user: user, token: Array(token.utf8)))
        }
        return .success(APITokens(entries: entries))
    }

    /// The user whose token `presented` is, or nil. Every token is compared in full, so the
    /// time taken does not tell which token or how much of one a guess matched.
    public func user(presenting presented: some Collection<UInt8>) -> String? {
        let presented = Array(presented)
        var found: String?
        for entry in entries where Self.constantTimeEqual(presented, entry.token) { found = entry.user }
        return found
    }

    /// Compares every byte of `secret` whatever `guess` is; the lengths' difference is folded
    /// into the result instead of returning early on it.
    public static func constantTimeEqual(_ guess: [UInt8], _ secret: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: guess.count ^ secret.count)
        for index in secret.indices {
            let byte = index < guess.count ? guess[index] : ~secret[index]
            difference |= UInt(byte ^ secret[index])
        }
        return difference == 0
    }
}
