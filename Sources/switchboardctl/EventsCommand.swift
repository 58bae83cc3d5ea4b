import ArgumentParser
import Foundation
import SwitchboardCore

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Events the broker refused for longer than SWITCHBOARD_EVENT_RETRY_FOR, set aside: list them, publish them again (admins only).",
        subcommands: [SetAside.self, Resend.self])

    struct SetAside: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-aside", abstract: "List set-aside events, oldest first.")
        @OptionGroup var options: GlobalOptions
        @Option(name: .customLong("routing-key"), help: "Only this routing key's, e.g. request.assigned.") var routingKey: String?
        @Option(help: "At most this many (1...1000).") var limit: Int = 100
        @Option(help: "Only those after this event id (paging).") var after: String?

        func run() throws {
            var args: [String: JSONValue] = ["limit": .integer(Int64(limit))]
            if let routingKey { args["routing_key"] = .string(routingKey) }
            if let after { args["after_event_id"] = .string(after) }
            try options.show(try options.call(.eventsListSetAside, args), as: [SetAsideEvent].self) { events in
                var table = Table([("EVENT ID", .left), ("ROUTING KEY", .left), ("SET ASIDE", .left), ("SEQ", .right), ("REQUEST", .right)])
                for event in events {
                    var sequence = "-", request = "-"
                    if case let .object(body) = event.event {
                        if case let .integer(number)? = body["sequence"] { sequence = String(number) }
                        if case let .object(fields)? = body["request"], case let .integer(id)? = fields["id"] { request = String(id) }
                    }
                    table.add([event.eventId, event.routingKey, event.setAsideAt.description, sequence, request])
                }
                return table.rendered
            }
        }
    }

    struct Resend: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish set-aside events again; each is retried as a refused event is, for SWITCHBOARD_EVENT_RETRY_FOR.",
            discussion: """
                Give --all, or any of the filters (each must hold). --since and --until bound when the events were set aside. \
                The service takes at most 10,000 per command; this repeats it until none that match remain.
                """)
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Every set-aside event.") var all = false
        @Option(name: .customLong("routing-key"), help: "Only this routing key's.") var routingKey: String?
        @Option(help: "Set aside at or after this time: RFC 3339, or a day (YYYY-MM-DD, midnight UTC).") var since: String?
        @Option(help: "Set aside before this time: RFC 3339, or a day.") var until: String?
        @Option(name: .customLong("event-id"), help: "This event (repeat for more).") var eventIds: [String] = []

        func run() throws {
            var args: [String: JSONValue] = [:]
            if all { args["all"] = .bool(true) }
            if let routingKey { args["routing_key"] = .string(routingKey) }
            if let since { args["since"] = .string(rfc3339(dayOrTime: since)) }
            if let until { args["until"] = .string(rfc3339(dayOrTime: until)) }
            if !eventIds.isEmpty { args["event_ids"] = .array(eventIds.map { .string($0) }) }
            var total = try decode(options.call(.eventsResend, args))
            // Each call takes a batch; the count left bounds the calls still needed.
            var callsLeft = total.remaining / Limits.resendBatch + 2
            while total.remaining > 0, callsLeft > 0 {
                let next = try decode(options.call(.eventsResend, args))
                total.resent += next.resent
                total.remaining = next.remaining
                callsLeft = next.resent == 0 ? 0 : callsLeft - 1
            }
            let result = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(total))
            try options.show(result, as: Resent.self) { resent in
                "Resent \(resent.resent) event(s); the service publishes each until the broker takes it."
            }
        }

        private func decode(_ value: JSONValue) throws -> Resent {
            try JSONDecoder().decode(Resent.self, from: JSONEncoder().encode(value))
        }
    }
}
