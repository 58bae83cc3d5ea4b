import Foundation
import SwitchboardCore

extension SwitchboardStore {
    /// One audit row, written by the transaction that carries the command's effect. The
    /// arguments are kept as sent, credentials hidden.
    func recordAudit(_ name: String?, _ outcome: Result<CommandResult, CommandError>, messageId: String?, sender: CommandSender?,
                     _ db: any SQLDatabase) throws {
        let args = sender?.args.map { String(decoding: $0.withCredentialsHidden().jsonBytes(), as: UTF8.self) } ?? "null"
        try db.write(sql: """
            INSERT INTO audit (at, "user", command, args, outcome, message_id, via) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [now().milliseconds, sender?.user, name ?? "", args, outcome.code, messageId, (sender?.via ?? .amqp).rawValue])
    }

    /// `audit.list`: oldest first from `after_id`, through the index of the filter given.
    func auditList(_ filter: AuditFilter, _ db: any SQLDatabase) throws -> [AuditEntry] {
        var conditions = ["id > ?"]
        var arguments: SQLArguments = [filter.afterId ?? 0]
        if let user = filter.user { conditions.append("\"user\" = ?"); arguments += [user] }
        if let command = filter.command { conditions.append("command = ?"); arguments += [command] }
        arguments += [filter.limit]
        let rows = try SQLRow.fetchAll(db, sql: """
            SELECT id, at, "user", command, args, outcome, message_id, via FROM audit
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?
            """, arguments: arguments)
        return try rows.map { row in
            let args: String = row[4]
            return AuditEntry(id: row[0], at: Timestamp(milliseconds: row[1]), user: row[2], command: row[3],
                              args: try JSONParser.parse(Array(args.utf8)), outcome: row[5], messageId: row[6],
                              via: CommandDoor(rawValue: row[7]) ?? .amqp)
        }
    }
}
