import Foundation

/// Who may run which command, by the AMQP `user_id` the broker vouches for.
///
/// Admins may run everything; consoles may read (except the audit trail) and answer for
/// operators: set presence, accept, reject, close. With no user listed in either role the
/// policy is open, as before roles existed.
public struct AccessPolicy: Sendable, Equatable {
    public var admins: Set<String>
    public var consoles: Set<String>

    public init(admins: Set<String> = [], consoles: Set<String> = []) {
        self.admins = admins
        self.consoles = consoles
    }

    public static let open = AccessPolicy()

    public var isOpen: Bool { admins.isEmpty && consoles.isEmpty }

    /// Why `user` may not run the command named `command` (as sent; it may name no command
    /// at all), or nil when they may. A user listed in both roles is an admin.
    public func refusal(of command: String?, by user: String?) -> CommandError? {
        if isOpen { return nil }
        guard let user else {
            return CommandError(.forbidden, "the command carries no user_id; roles are set, so the sender must be named")
        }
        if admins.contains(user) { return nil }
        if consoles.contains(user), let command, Self.consoleMayRun(command) { return nil }
        let what = command.map { "\"\($0)\"" } ?? "this command"
        let role = consoles.contains(user) ? "a console user" : "in no role"
        return CommandError(.forbidden, "user \"\(user)\" is \(role) and may not run \(what)")
    }

    static func consoleMayRun(_ command: String) -> Bool {
        switch CommandName(rawValue: command)?.access {
        case .consoleRead?, .consoleChange?: true
        case .adminOnly?, nil: false
        }
    }

    /// Reads a comma-separated list of broker users; blank entries are dropped and reported.
    public static func users(_ list: String?) -> (users: Set<String>, blanks: Int) {
        guard let list else { return ([], 0) }
        var users: Set<String> = []
        var blanks = 0
        for entry in list.split(separator: ",", omittingEmptySubsequences: false) {
            let user = entry.trimmingCharacters(in: .whitespaces)
            if user.isEmpty { blanks += 1 } else { users.insert(user) }
        }
        return (users, blanks)
    }
}
