import AMQP
import ArgumentParser
import Foundation
import SwitchboardClient
import SwitchboardCore

struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "Send, list, assign, accept, reject, close, transfer and purge requests.",
        subcommands: [Send.self, List.self, Get.self, Assign.self, Accept.self, Reject.self, Close.self, Transfer.self, Priority.self, Purge.self])

    struct Send: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish an intake message, as an upstream bot does (persistent, confirmed by the broker).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "The customer's identifier, e.g. user123@telegram.") var user: String
        @Option(help: "Source identifier.") var source: String?
        @Option(name: .customLong("source-id"), help: "Source id (instead of --source).") var sourceId: Int64?
        @Option(help: "The customer's message.") var message: String
        @Option(name: .customLong("message-id"), help: "Idempotency key (default: a new UUID).") var messageId: String?
        @Option(help: "0...9, higher served first (default 0).") var priority: Int?

        func validate() throws {
            guard (source == nil) != (sourceId == nil) else { throw ValidationError("give exactly one of --source, --source-id") }
        }

        func run() throws {
            var body: [String: JSONValue] = ["user_identifier": .string(user), "message": .string(message)]
            // Sent as given: the service dead-letters a priority outside 0...9, naming it.
            if let priority { body["priority"] = .integer(Int64(priority)) }
            if let source { body["source"] = .string(source) }
            if let sourceId { body["source_id"] = .integer(sourceId) }
            let id = messageId ?? UUID().uuidString.lowercased()
            let bytes = Array(try JSONEncoder().encode(JSONValue.object(body)))
            if let url = options.httpURL {
                try sendOverHTTP(url, bytes, id)
            } else {
                let client = ControlClient(brokers: options.brokers, prefix: options.prefix)
                defer { client.close() }
                do {
                    try client.sendIntake(bytes, messageId: id)
                } catch let error as AMQPError {
                    throw CLIFailure.unreachable(options, error)
                }
            }
            print(options.json ? #"{"message_id":"\#(id)"}"# : "Sent request (message id \(id)).")
        }

        /// The HTTP door answers once the request is stored, so a malformed one is refused here
        /// (the control queue's would be dead-lettered with the same reason).
        private func sendOverHTTP(_ url: URL, _ bytes: [UInt8], _ id: String) throws {
            let reply: ReplyEnvelope
            do {
                reply = try HTTPControlClient(base: url, token: options.apiToken).sendIntake(bytes, messageId: id, timeout: options.waitLimit)
            } catch {
                throw CLIFailure.overHTTP(options, error)
            }
            if !reply.ok { throw CLIFailure.replyError(reply.error ?? CommandError(.internalError, "error reply without details")) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List requests, oldest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "waiting, offered, assigned or closed.") var status: RequestStatus?
        @Option(name: .customLong("operator"), help: "Only this operator's.") var operatorId: Int64?
        @Option(name: .customLong("source"), help: "Only this source's (id).") var sourceId: Int64?
        @Option(help: "At most this many (1...1000).") var limit: Int = 100
        @Option(help: "Only requests with a larger id (paging).") var after: Int64?

        func run() throws {
            var args: [String: JSONValue] = ["limit": .integer(Int64(limit))]
            if let status { args["status"] = .string(status.rawValue) }
            if let operatorId { args["operator_id"] = .integer(operatorId) }
            if let sourceId { args["source_id"] = .integer(sourceId) }
            if let after { args["after_id"] = .integer(after) }
            try options.show(try options.call(.requestList, args), as: [Request].self, requestTable)
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one request with its user, source and operator.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Request id.") var id: Int64
        func run() throws {
            try options.show(try options.call(.requestGet, ["id": .integer(id)]), as: RequestDetail.self) { detail in
                let r = detail.request
                let wrapUp: [String] = r.wrapUpUntil.map { ["  wrap-up until: \($0)"] } ?? []
                let lines: [String] = [
                    "Request \(r.id)  \(r.status.rawValue)",
                    "  user:     \(detail.user.identifier) (\(detail.user.id))",
                    "  source:   \(detail.source.name) [\(detail.source.identifier)] (\(detail.source.id))",
                    "  operator: \(detail.operator.map { "\($0.name) (\($0.id))" } ?? "-")",
                    "  priority: \(r.priority)\(r.escalatedAt.map { " (escalated at \($0))" } ?? "")",
                    "  created:  \(r.createdAt)",
                    "  assigned: \(r.assignedAt?.description ?? "-")",
                    "  offer expires: \(r.offerExpiresAt?.description ?? "-")",
                    "  closed:   \(r.closedAt?.description ?? "-")",
                ] + wrapUp + ["  message:  \(r.message)"]
                return lines.joined(separator: "\n")
            }
        }
    }

    struct Assign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign a request: to --operator, or by the distribution when omitted.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Request id.") var id: Int64
        @Option(name: .customLong("operator"), help: "Operator id.") var operatorId: Int64?
        func run() throws {
            var args: [String: JSONValue] = ["id": .integer(id)]
            if let operatorId { args["operator_id"] = .integer(operatorId) }
            try options.show(try options.call(.requestAssign, args), as: Request.self) { requestTable([$0]) }
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept a request on offer to an operator, as their console does.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Request id.") var id: Int64
        @Option(name: .customLong("operator"), help: "The operator it is on offer to.") var operatorId: Int64
        func run() throws {
            let result = try options.call(.requestAccept, ["id": .integer(id), "operator_id": .integer(operatorId)])
            try options.show(result, as: Request.self) { requestTable([$0]) }
        }
    }

    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reject a request on offer to an operator: it goes to someone not yet offered it, or waits.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Request id.") var id: Int64
        @Option(name: .customLong("operator"), help: "The operator it is on offer to.") var operatorId: Int64
        @Option(help: "Why, for the record.") var reason: String?
        func run() throws {
            var args: [String: JSONValue] = ["id": .integer(id), "operator_id": .integer(operatorId)]
            if let reason { args["reason"] = .string(reason) }
            try options.show(try options.call(.requestReject, args), as: Request.self) { requestTable([$0]) }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a request, freeing its operator's slot (after the source's wrap-up, if it has one).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Request id.") var id: Int64
        @Option(name: .customLong("wrap-up"), help: "Seconds the operator's slot stays taken, instead of the source's (0...3600).")
        var wrapUp: Int?
        func run() throws {
            var args: [String: JSONValue] = ["id": .integer(id)]
            if let wrapUp { args["wrap_up_seconds"] = .integer(Int64(wrapUp)) }
            try options.show(try options.call(.requestClose, args), as: Request.self) { requestTable([$0]) }
        }
    }

    struct Priority: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a request's priority (0...9, higher served first) while it is open.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Request id.") var id: Int64
        @Argument(help: "Priority 0...9.") var priority: Int
        func run() throws {
            let result = try options.call(.requestSetPriority, ["id": .integer(id), "priority": .integer(Int64(priority))])
            try options.show(result, as: Request.self) { requestTable([$0]) }
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Archive, then delete, requests closed before a time (admin). Open requests are never touched.",
            discussion: """
                The service takes at most 2,000 requests per command, so intake never waits long behind a purge; \
                this repeats the command until none before the time remain. Each call is idempotent by its message id.
                """)
        @OptionGroup var options: GlobalOptions
        @Option(name: .customLong("closed-before"), help: "RFC 3339 time, or a day (YYYY-MM-DD, midnight UTC).")
        var closedBefore: String
        @Flag(name: .customLong("dry-run"), help: "Only count what would be archived and deleted, and name the files.")
        var dryRun = false

        var time: String { rfc3339(dayOrTime: closedBefore) }

        func run() throws {
            let args: [String: JSONValue] = ["closed_before": .string(time), "dry_run": .bool(dryRun)]
            var total = try decode(options.call(.requestPurge, args))
            // Each call takes a batch; the count left bounds the calls still needed.
            var callsLeft = total.remaining / Limits.purgeBatch + 2
            while !dryRun, total.remaining > 0, callsLeft > 0 {
                let next = try decode(options.call(.requestPurge, args))
                total.archived += next.archived
                total.purged += next.purged
                total.files = Array(Set(total.files + next.files)).sorted()
                total.remaining = next.remaining
                callsLeft = next.purged == 0 ? 0 : callsLeft - 1
            }
            let result = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(total))
            try options.show(result, as: PurgeSummary.self) { summary in
                let verb = summary.dryRun ? "Would archive and delete" : "Archived and deleted"
                return (["\(verb) \(summary.purged) request(s) closed before \(time)."]
                    + summary.files.map { "  \($0)" }
                    + (summary.dryRun || summary.remaining == 0 ? [] : ["\(summary.remaining) remain (closed meanwhile, or refused)."]))
                    .joined(separator: "\n")
            }
        }

        private func decode(_ value: JSONValue) throws -> PurgeSummary {
            try JSONDecoder().decode(PurgeSummary.self, from: JSONEncoder().encode(value))
        }
    }
}

extension RequestStatus: ExpressibleByArgument {}

func requestTable(_ requests: [Request]) -> String {
    var table = Table([("ID", .right), ("STATUS", .left), ("PRIO", .right), ("OPERATOR", .right), ("SOURCE", .right),
                       ("USER", .right), ("CREATED", .left), ("MESSAGE", .left)])
    for r in requests {
        let message = r.message.count > 40 ? String(r.message.prefix(39)) + "…" : r.message
        let priority = r.escalatedAt == nil ? String(r.priority) : "\(r.priority)!"
        table.add([String(r.id), r.status.rawValue, priority, r.operatorId.map(String.init) ?? "-", String(r.sourceId),
                   String(r.userId), r.createdAt.description, message.replacingOccurrences(of: "\n", with: " ")])
    }
    return table.rendered
}
