import Foundation
import SwitchboardCore
import Testing

/// The one list of command names against the contract's files and the access rule.
@Suite struct CommandNameTests {
    static let contracts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Contracts/schemas")

    @Test func everyNameHasAnArgsSchemaAndEveryArgsSchemaIsANameWeKnow() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.contracts.appendingPathComponent("args").path)
        let schemaNames = Set(files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(".json".count)) })
        #expect(schemaNames == Set(CommandName.allCases.map(\.rawValue)))
    }

    @Test func theCommandSchemaListsExactlyTheNamesWeParse() throws {
        let data = try Data(contentsOf: Self.contracts.appendingPathComponent("command.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        let command = try #require(properties["command"] as? [String: Any])
        let listed = try #require(command["enum"] as? [String])
        #expect(Set(listed) == Set(CommandName.allCases.map(\.rawValue)))
        #expect(listed.count == CommandName.allCases.count)
    }

    @Test func consolesMayReadEverythingButTheAuditTrailSetAsideEventsAndReplaysAndAnswerForOperatorsOnly() {
        let policy = AccessPolicy(admins: ["ops"], consoles: ["console"])
        for name in CommandName.allCases {
            let consoleMay = policy.refusal(of: name.rawValue, by: "console") == nil
            let expected = [.auditList, .eventsListSetAside, .replayRun].contains(name) ? false : name.isReadOnly || [.operatorSetPresence, .operatorEndWrapUp, .requestAccept, .requestReject, .requestClose, .requestTransfer].contains(name)
            #expect(consoleMay == expected, "\(name.rawValue)")
            #expect(policy.refusal(of: name.rawValue, by: "ops") == nil, "\(name.rawValue)")
            #expect(policy.refusal(of: name.rawValue, by: "stranger")?.code == .forbidden, "\(name.rawValue)")
        }
        #expect(policy.refusal(of: "no.such_command", by: "console")?.code == .forbidden)
    }

    @Test func onlyKnownCommandsThatAreNotReadsCountAsChanges() {
        #expect(CommandName.isChange(named: "operator.create"))
        #expect(!CommandName.isChange(named: "operator.list"))
        #expect(!CommandName.isChange(named: "no.such_command"))
        #expect(!CommandName.isChange(named: nil))
        #expect(CommandName.allCases.filter { !$0.isReadOnly }.count == 17)
        #expect(CommandName.isChange(named: "events.resend"), "a resend is audited")
        #expect(!CommandName.isChange(named: "events.list_set_aside"))
    }

    @Test func anUnknownNameIsABadRequestListingEveryName() {
        let result = Command.parse(name: "operator.fly", args: [:])
        guard case let .failure(error) = result else {
            Issue.record("parsed an unknown command")
            return
        }
        #expect(error.code == .badRequest)
        let listed = error.details.first?.problem ?? ""
        for name in CommandName.allCases { #expect(listed.contains(name.rawValue)) }
    }
}
