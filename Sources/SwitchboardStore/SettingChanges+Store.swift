import Foundation
import SwitchboardCore

// The settings record: each change of an operator's or a source's settings, the whole before
// and after, written by the transaction of the command that made it. Commands only: nothing
// on the hot path. Kept as long as the audit trail (SWITCHBOARD_RETAIN_AUDIT).
extension SwitchboardStore {
    /// What a row of the record is of: its `subject` column.
    enum SettingSubject: String {
        case `operator`, source
    }

    /// What a command's settings change is of, and how it stood before; nil for any other
    /// command.
    struct SettingsBefore {
        var subject: SettingSubject
        var id: Int64
        var json: String
    }

    static func settingsBefore(_ command: Command, _ db: any SQLDatabase) throws -> SettingsBefore? {
        let (subject, id): (SettingSubject, Int64)
        switch command {
        case let .operatorUpdate(operatorId, _, _, _, _): (subject, id) = (.operator, operatorId)
        case let .sourceUpdate(sourceId, _, _): (subject, id) = (.source, sourceId)
        case let .sourceSetWeights(sourceId, _): (subject, id) = (.source, sourceId)
        default: return nil
        }
        return try settings(of: subject, id, db).map { SettingsBefore(subject: subject, id: id, json: $0) }
    }

    /// Records the change a successful command made, if it changed anything.
    func recordSettingChange(_ before: SettingsBefore, _ db: any SQLDatabase) throws {
        guard let after = try Self.settings(of: before.subject, before.id, db), after != before.json else { return }
        try db.write(sql: "INSERT INTO setting_changes (at, subject, subject_id, before, after) VALUES (?, ?, ?, ?, ?)",
                     arguments: [now().milliseconds, before.subject.rawValue, before.id, before.json, after])
    }

    /// Settings only, in a fixed order of keys: an operator's load and presence, and whether
    /// a source is open now, are not settings, and change with no command.
    private static func settings(of subject: SettingSubject, _ id: Int64, _ db: any SQLDatabase) throws -> String? {
        let encoded: Data? = switch subject {
        case .operator:
            try Records.fetchOperator(id, db).map { op in
                try settingsEncoder.encode(Operator(id: op.id, name: op.name, isActive: op.isActive, maxLoadLimit: op.maxLoadLimit,
                                                    currentLoad: 0, createdAt: op.createdAt, skills: op.skills, capacity: op.capacity))
            }
        case .source:
            try Records.fetchSource(id, db).map { source in
                var settings = source
                (settings.openNow, settings.nextChangeAt) = (true, nil)
                return try settingsEncoder.encode(settings)
            }
        }
        return encoded.map { String(decoding: $0, as: UTF8.self) }
    }

    private static let settingsEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Every change from `since` on, oldest first: those after the window too, which say how
    /// the floor stood at its start.
    static func settingChanges(since: Timestamp, _ db: any SQLDatabase) throws -> [SettingChange] {
        try SQLRow.fetchAll(db, sql: "SELECT at, subject, before, after FROM setting_changes WHERE at >= ? ORDER BY id",
                            arguments: [since.milliseconds]).compactMap { row in
            let at = Timestamp(milliseconds: row[0]), before: String = row[2], after: String = row[3]
            switch SettingSubject(rawValue: row[1]) {
            case .operator?:
                guard let a = try? JSON.decoder.decode(Operator.self, from: Data(before.utf8)),
                      let b = try? JSON.decoder.decode(Operator.self, from: Data(after.utf8)) else { return nil }
                return SettingChange(at: at, subject: .operator(before: a, after: b))
            case .source?:
                guard let a = try? JSON.decoder.decode(Source.self, from: Data(before.utf8)),
                      let b = try? JSON.decoder.decode(Source.self, from: Data(after.utf8)) else { return nil }
                return SettingChange(at: at, subject: .source(before: a, after: b))
            case nil: return nil
            }
        }
    }
}
