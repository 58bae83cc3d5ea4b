import Foundation

public struct RequestFilter: Sendable, Equatable {
    public var status: RequestStatus?
    public var operatorId: Int64?
    public var sourceId: Int64?
    public var limit: Int
    public var afterId: Int64?

    public init(status: RequestStatus? = nil, operatorId: Int64? = nil, sourceId: Int64? = nil,
                limit: Int = Limits.defaultListLimit, afterId: Int64? = nil) {
        self.status = status
        self.operatorId = operatorId
        self.sourceId = sourceId
        self.limit = limit
        self.afterId = afterId
    }
}

/// `stats.service_level`'s arguments. `since` and `until` default, in the store, to the 24
/// hours before now.
public struct ServiceLevelQuery: Sendable, Equatable {
    public var since: Timestamp?
    public var until: Timestamp?
    public var sourceId: Int64?
    public var thresholdsSeconds: [Int]
    /// Only requests that required this skill.
    public var skill: String?

    public init(since: Timestamp? = nil, until: Timestamp? = nil, sourceId: Int64? = nil,
                thresholdsSeconds: [Int] = Limits.defaultThresholdsSeconds, skill: String? = nil) {
        self.skill = skill
        self.since = since
        self.until = until
        self.sourceId = sourceId
        self.thresholdsSeconds = thresholdsSeconds
    }

    public static let defaultWindowMilliseconds: Int64 = 24 * 3_600_000

    /// The window the query covers given the time now, or why there is none: the one rule
    /// for `since` and `until`, checked when parsing if both are given, else in the store.
    public func window(now: Timestamp) -> Result<ServiceLevel.Window, CommandError> {
        let end = until ?? now
        let start = since ?? Timestamp(milliseconds: end.milliseconds - Self.defaultWindowMilliseconds)
        guard start <= end else {
            return .failure(.validation([FieldProblem(field: "since", problem: "must not be after until (\(until == nil ? "now, " : "")\(end))")]))
        }
        return .success(ServiceLevel.Window(since: start, until: end))
    }

    static func read(_ r: inout FieldReader) -> ServiceLevelQuery {
        let since = r.timestamp("since", required: false)
        let until = r.timestamp("until", required: false)
        if let until, case let .failure(inverted) = ServiceLevelQuery(since: since, until: until).window(now: until) {
            for problem in inverted.details { r.problem(problem.field, problem.problem) }
        }
        let sourceId = r.id("source_id", required: false)
        var thresholds = Limits.defaultThresholdsSeconds
        if let items = r.array("thresholds_seconds", required: false) {
            if !Limits.thresholdCount.contains(items.count) {
                r.problem("thresholds_seconds", "must hold 1 to \(Limits.thresholdCount.upperBound) thresholds, got \(items.count)")
            }
            var each = FieldReader([:])
            thresholds = items.enumerated().compactMap { index, item in
                each.integer(item, field: "thresholds_seconds[\(index)]", in: Limits.thresholdSeconds)
            }
            r.merge(each)
        }
        return ServiceLevelQuery(since: since, until: until, sourceId: sourceId, thresholdsSeconds: thresholds,
                                 skill: r.identifier("skill", required: false))
    }
}

/// A control command of the contract, validated: every value in it is within its limits.
/// Checks that need the database (does id 7 exist? is the identifier taken?) come later, in
/// the store.
public enum Command: Sendable, Equatable {
    case operatorCreate(name: String, maxLoadLimit: Int, isActive: Bool, presence: Presence = .available,
                        settings: OperatorSettings = OperatorSettings())
    case operatorList(OperatorFilter = OperatorFilter())
    case operatorGet(id: Int64)
    case operatorUpdate(id: Int64, name: String?, maxLoadLimit: Int?, isActive: Bool?, settings: OperatorSettings = OperatorSettings())
    case operatorToggleActive(id: Int64)
    case operatorDelete(id: Int64)
    /// `requeue` only with `offline`: the operator's assigned requests go back to routing.
    case operatorSetPresence(id: Int64, presence: Presence, requeue: Bool)
    /// Ends the operator's wrap-ups now: their slots free at once.
    case operatorEndWrapUp(id: Int64)
    case sourceCreate(name: String, identifier: String, settings: SourceSettings = SourceSettings())
    case sourceUpdate(id: Int64, name: String?, settings: SourceSettings)
    case sourceList
    case sourceGet(id: Int64)
    case sourceSetWeights(sourceId: Int64, weights: [Weight])
    case requestGet(id: Int64)
    case requestList(RequestFilter)
    case requestAssign(id: Int64, operatorId: Int64?)
    /// `wrapUpSeconds`: the operator's wrap-up after it, instead of the source's.
    case requestClose(id: Int64, wrapUpSeconds: Int? = nil)
    case requestAccept(id: Int64, operatorId: Int64)
    case requestReject(id: Int64, operatorId: Int64, reason: String?)
    /// Archives, then deletes, closed requests closed before the time; at most
    /// ``Limits/purgeBatch`` per command, so intake never waits long behind one.
    case requestPurge(closedBefore: Timestamp, dryRun: Bool)
    case requestSetPriority(id: Int64, priority: Int)
    /// Hands an assigned request to a colleague or to whoever meets new requirements.
    case requestTransfer(id: Int64, to: TransferTarget, reason: String?)
    case statsOperatorsLoad
    case statsRequestsDistribution
    case serviceStatus
    case auditList(AuditFilter)
    case statsServiceLevel(ServiceLevelQuery)
    case eventsListSetAside(SetAsideFilter)
    /// Puts set-aside events back in the outbox, to be published (and retried) again.
    case eventsResend(ResendSelection)
    /// Run beside the writer, not by it (the what-if replay reads a snapshot and its own scratch store).
    case replayRun(ReplayQuery)

    /// The command's name as sent, from the one list of names.
    public var kind: CommandName {
        switch self {
        case .operatorCreate: .operatorCreate
        case .operatorList: .operatorList
        case .operatorGet: .operatorGet
        case .operatorUpdate: .operatorUpdate
        case .operatorToggleActive: .operatorToggleActive
        case .operatorDelete: .operatorDelete
        case .operatorSetPresence: .operatorSetPresence
        case .operatorEndWrapUp: .operatorEndWrapUp
        case .sourceCreate: .sourceCreate
        case .sourceUpdate: .sourceUpdate
        case .sourceList: .sourceList
        case .sourceGet: .sourceGet
        case .sourceSetWeights: .sourceSetWeights
        case .requestGet: .requestGet
        case .requestList: .requestList
        case .requestAssign: .requestAssign
        case .requestClose: .requestClose
        case .requestAccept: .requestAccept
        case .requestReject: .requestReject
        case .requestPurge: .requestPurge
        case .requestSetPriority: .requestSetPriority
        case .requestTransfer: .requestTransfer
        case .statsOperatorsLoad: .statsOperatorsLoad
        case .statsRequestsDistribution: .statsRequestsDistribution
        case .serviceStatus: .serviceStatus
        case .auditList: .auditList
        case .statsServiceLevel: .statsServiceLevel
        case .eventsListSetAside: .eventsListSetAside
        case .eventsResend: .eventsResend
        case .replayRun: .replayRun
        }
    }

    public var name: String { kind.rawValue }

    /// Whether the command only reads. Read-only commands need no write transaction.
    public var isReadOnly: Bool { kind.isReadOnly }

    /// Whether the command may change what routing reads: operators (activity, presence,
    /// limits), sources and weights. The writer keeps its routing table through the others
    /// (accepting, rejecting, assigning, closing requests), which adjust loads in place.
    public var reshapesRouting: Bool {
        switch self {
        case .operatorCreate, .operatorUpdate, .operatorToggleActive, .operatorDelete, .operatorSetPresence, .sourceCreate,
             .sourceUpdate, .sourceSetWeights: true
        default: false
        }
    }

    /// Whether intake counters summed in memory must be written before the command runs:
    /// for every command that reads loads or counts, or lowers a load (the column may not go
    /// below 0 while an intake's +1 is still pending). Accepting leaves loads as they are and
    /// only adds to a request count: the console's hot command skips the flush.
    public var needsCountersWritten: Bool {
        if case .requestAccept = self { return false }
        return true
    }

    /// Parses a command message body: `{"command": "...", "args": {...}}`.
    public static func parse(_ body: [UInt8]) -> Result<Command, CommandError> { read(body).command }

    /// A command message as sent, beside what it parses to: the audit trail and the access
    /// rule need the name and arguments even of a command that does not parse.
    public struct Message: Sendable {
        public var name: String?
        public var args: JSONValue?
        public var command: Result<Command, CommandError>
    }

    public static func read(_ body: [UInt8]) -> Message {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            return Message(name: nil, args: nil, command: .failure(CommandError(.badRequest, "the command is not valid JSON: \(error)")))
        }
        guard case let .object(envelope) = value else {
            return Message(name: nil, args: nil, command: .failure(CommandError(.badRequest, "the command must be a JSON object")))
        }
        let sentArgs = envelope["args"]
        guard case let .string(name)? = envelope["command"] else {
            return Message(name: nil, args: sentArgs, command: .failure(CommandError(
                .badRequest, "the command has no \"command\" string", details: [FieldProblem(field: "command", problem: "is required")])))
        }
        return read(name: name, args: sentArgs)
    }

    /// A command named apart from its arguments (the HTTP API names it in the path): read as
    /// the control queue's envelope would be.
    public static func read(name: String, args sentArgs: JSONValue?) -> Message {
        let args: [String: JSONValue]
        switch sentArgs {
        case nil, .null?: args = [:]
        case let .object(object)?: args = object
        case let other?:
            return Message(name: name, args: other, command: .failure(.validation([
                FieldProblem(field: "args", problem: "must be an object, got \(other.kindName)")])))
        }
        return Message(name: name, args: sentArgs, command: parse(name: name, args: args))
    }

    public static func parse(name: String, args: [String: JSONValue]) -> Result<Command, CommandError> {
        var r = FieldReader(args)
        let command: Command?
        guard let kind = CommandName(rawValue: name) else {
            return .failure(CommandError(
                .badRequest, "unknown command \"\(name)\"",
                details: [FieldProblem(field: "command", problem: "must be one of \(CommandName.allCases.map(\.rawValue).joined(separator: ", "))")]))
        }
        switch kind {
        case .operatorCreate:
            let name = r.text("name", maxLength: Limits.nameLength)
            let limit = r.integer("max_load_limit", in: Limits.maxLoadLimit)
            let active = r.bool("is_active") ?? true
            let presence = r.enumeration("presence", Presence.self) ?? .available
            let settings = OperatorSettings.read(&r)
            command = name.flatMap { n in
                limit.map { .operatorCreate(name: n, maxLoadLimit: $0, isActive: active, presence: presence, settings: settings) }
            }
        case .operatorList: command = .operatorList(OperatorFilter.read(&r))
        case .operatorGet: command = r.id("id").map { .operatorGet(id: $0) }
        case .operatorUpdate:
            let id = r.id("id")
            let name = r.text("name", maxLength: Limits.nameLength, required: false)
            let limit = r.integer("max_load_limit", in: Limits.maxLoadLimit, required: false)
            let active = r.bool("is_active")
            let settings = OperatorSettings.read(&r)
            command = id.map { .operatorUpdate(id: $0, name: name, maxLoadLimit: limit, isActive: active, settings: settings) }
        case .operatorToggleActive: command = r.id("id").map { .operatorToggleActive(id: $0) }
        case .operatorDelete: command = r.id("id").map { .operatorDelete(id: $0) }
        case .operatorSetPresence:
            let id = r.id("id")
            let presence = r.enumeration("presence", Presence.self, required: true)
            let requeue = r.bool("requeue") ?? false
            if requeue, let presence, presence != .offline {
                r.problem("requeue", "is allowed only with presence offline, got \(presence.rawValue)")
            }
            command = id.flatMap { id in presence.map { .operatorSetPresence(id: id, presence: $0, requeue: requeue) } }
        case .sourceCreate:
            let name = r.text("name", maxLength: Limits.nameLength)
            let identifier = r.identifier("identifier")
            let settings = SourceSettings.read(&r)
            command = name.flatMap { n in identifier.map { .sourceCreate(name: n, identifier: $0, settings: settings) } }
        case .sourceUpdate:
            let id = r.id("id")
            let name = r.text("name", maxLength: Limits.nameLength, required: false)
            let settings = SourceSettings.read(&r)
            command = id.map { .sourceUpdate(id: $0, name: name, settings: settings) }
        case .sourceList: command = .sourceList
        case .sourceGet: command = r.id("id").map { .sourceGet(id: $0) }
        case .sourceSetWeights:
            let sourceId = r.id("source_id")
            let weights = r.array("weights").map { parseWeights($0, into: &r) }
            command = sourceId.flatMap { id in weights.map { .sourceSetWeights(sourceId: id, weights: $0) } }
        case .requestGet: command = r.id("id").map { .requestGet(id: $0) }
        case .requestList:
            let filter = RequestFilter(
                status: r.enumeration("status", RequestStatus.self), operatorId: r.id("operator_id", required: false),
                sourceId: r.id("source_id", required: false),
                limit: r.integer("limit", in: Limits.listLimit, required: false) ?? Limits.defaultListLimit,
                afterId: r.id("after_id", required: false))
            command = .requestList(filter)
        case .requestAssign:
            let id = r.id("id")
            let operatorId = r.id("operator_id", required: false)
            command = id.map { .requestAssign(id: $0, operatorId: operatorId) }
        case .requestClose:
            let id = r.id("id")
            let wrapUp = r.integer("wrap_up_seconds", in: Limits.wrapUpSeconds, required: false)
            command = id.map { .requestClose(id: $0, wrapUpSeconds: wrapUp) }
        case .operatorEndWrapUp: command = r.id("id").map { .operatorEndWrapUp(id: $0) }
        case .requestTransfer:
            let id = r.id("id")
            let target = TransferTarget.read(&r)
            let reason = r.text("reason", maxLength: Limits.transferReasonLength, required: false)
            command = id.flatMap { id in target.map { .requestTransfer(id: id, to: $0, reason: reason) } }
        case .requestAccept:
            let id = r.id("id")
            let operatorId = r.id("operator_id")
            command = id.flatMap { id in operatorId.map { .requestAccept(id: id, operatorId: $0) } }
        case .requestReject:
            let id = r.id("id")
            let operatorId = r.id("operator_id")
            let reason = r.text("reason", maxLength: Limits.reasonLength, required: false)
            command = id.flatMap { id in operatorId.map { .requestReject(id: id, operatorId: $0, reason: reason) } }
        case .requestPurge:
            let before = r.timestamp("closed_before")
            let dryRun = r.bool("dry_run") ?? false
            command = before.map { .requestPurge(closedBefore: $0, dryRun: dryRun) }
        case .requestSetPriority:
            let id = r.id("id")
            let priority = r.integer("priority", in: Limits.priority)
            command = id.flatMap { id in priority.map { .requestSetPriority(id: id, priority: $0) } }
        case .statsServiceLevel: command = .statsServiceLevel(ServiceLevelQuery.read(&r))
        case .replayRun: command = ReplayQuery.read(&r).map(Command.replayRun)
        case .statsOperatorsLoad: command = .statsOperatorsLoad
        case .statsRequestsDistribution: command = .statsRequestsDistribution
        case .serviceStatus: command = .serviceStatus
        case .auditList:
            command = .auditList(AuditFilter(
                afterId: r.id("after_id", required: false),
                limit: r.integer("limit", in: Limits.listLimit, required: false) ?? Limits.defaultListLimit,
                user: r.text("user", maxLength: Limits.nameLength, required: false),
                command: r.text("command", maxLength: Limits.nameLength, required: false)))
        case .eventsListSetAside: command = .eventsListSetAside(SetAsideFilter.read(&r))
        case .eventsResend: command = .eventsResend(ResendSelection.read(&r))
        }
        r.rejectUnknownFields()
        guard r.problems.isEmpty, let command else { return .failure(.validation(r.problems)) }
        return .success(command)
    }

    private static func parseWeights(_ items: [JSONValue], into r: inout FieldReader) -> [Weight] {
        var weights: [Weight] = []
        var seen: Set<Int64> = []
        for (index, item) in items.enumerated() {
            let field = "weights[\(index)]"
            guard case let .object(object) = item else {
                r.problem(field, "must be an object, got \(item.kindName)")
                continue
            }
            var w = FieldReader(object, prefix: "\(field).")
            let operatorId = w.id("operator_id")
            let weight = w.integer("weight", in: Limits.weight)
            w.rejectUnknownFields()
            r.merge(w)
            guard let operatorId else { continue }
            if !seen.insert(operatorId).inserted {
                r.problem("\(field).operator_id", "operator \(operatorId) appears more than once")
                continue
            }
            if let weight { weights.append(Weight(operatorId: operatorId, weight: weight)) }
        }
        return weights
    }
}
