/// Every control command the contract defines, by the name sent in `"command"`: the one list
/// that parsing, the access rule, the audit trail, the CLI and the contract test read.
public enum CommandName: String, Sendable, CaseIterable, Codable {
    case operatorCreate = "operator.create"
    case operatorList = "operator.list"
    case operatorGet = "operator.get"
    case operatorUpdate = "operator.update"
    case operatorToggleActive = "operator.toggle_active"
    case operatorDelete = "operator.delete"
    case operatorSetPresence = "operator.set_presence"
    case operatorEndWrapUp = "operator.end_wrap_up"
    case sourceCreate = "source.create"
    case sourceUpdate = "source.update"
    case sourceList = "source.list"
    case sourceGet = "source.get"
    case sourceSetWeights = "source.set_weights"
    case requestGet = "request.get"
    case requestList = "request.list"
    case requestAssign = "request.assign"
    case requestClose = "request.close"
    case requestAccept = "request.accept"
    case requestReject = "request.reject"
    case requestPurge = "request.purge"
    case requestSetPriority = "request.set_priority"
    case requestTransfer = "request.transfer"
    case statsOperatorsLoad = "stats.operators_load"
    case statsRequestsDistribution = "stats.requests_distribution"
    case statsServiceLevel = "stats.service_level"
    case serviceStatus = "service.status"
    case auditList = "audit.list"
    case eventsListSetAside = "events.list_set_aside"
    case eventsResend = "events.resend"
    case replayRun = "replay.run"

    /// Who may run a command once roles are set (admins may run every one).
    public enum Access: Sendable {
        /// Reads a console needs: operators, sources, requests, statistics, status.
        case consoleRead
        /// What a console does for its operator: presence, accept, reject, close, end a wrap-up,
    /// transfer.
        case consoleChange
        /// Everything else, the audit trail and set-aside events among it: admins only.
        case adminOnly
    }

    /// Whether the command only reads: it needs no write transaction, runs again on a
    /// repeated message id, and leaves no audit row unless it is refused.
    public var isReadOnly: Bool {
        switch self {
        case .operatorList, .operatorGet, .sourceList, .sourceGet, .requestGet, .requestList, .statsOperatorsLoad,
             .statsRequestsDistribution, .statsServiceLevel, .serviceStatus, .auditList, .eventsListSetAside, .replayRun: true
        default: false
        }
    }

    public var access: Access {
        switch self {
        case .operatorSetPresence, .operatorEndWrapUp, .requestAccept, .requestReject, .requestClose, .requestTransfer: .consoleChange
        case .auditList, .eventsListSetAside, .replayRun: .adminOnly
        default: isReadOnly ? .consoleRead : .adminOnly
        }
    }

    /// Whether a command sent under this name (known, or not, or none) changes state: the
    /// changes run once per message id and each leaves an audit row (as does a refusal of
    /// any command, which the store keeps by message id too).
    public static func isChange(named name: String?) -> Bool {
        guard let name, let known = CommandName(rawValue: name) else { return false }
        return !known.isReadOnly
    }
}
