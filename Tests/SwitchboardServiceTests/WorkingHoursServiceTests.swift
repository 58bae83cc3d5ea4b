import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// Hours against the real service and its real clock. Hours are whole minutes, so a source
/// opening "a few seconds after start" opens at the next minute that leaves the test time
/// to send its requests first: at most about a minute, spent waiting beside other suites.
@Suite struct WorkingHoursServiceTests {
    /// Every day from the next whole minute at least 8 s ahead until midnight, UTC.
    static func hoursOpeningSoon() -> (hours: JSONValue, opensAt: Timestamp) {
        let now = Timestamp.now().milliseconds
        var opening = (now / 60_000 + 1) * 60_000
        if opening - now < 8_000 { opening += 60_000 }
        let minuteOfDay = Int((opening / 60_000) % 1_440)
        let open = String(format: "%02d:%02d", minuteOfDay / 60, minuteOfDay % 60)
        let days: [JSONValue] = Weekday.allCases.map { .string($0.rawValue) }
        let hours: JSONValue = ["time_zone": "UTC", "weekly": [["days": .array(days), "open": .string(open), "close": "24:00"]]]
        return (hours, Timestamp(milliseconds: opening))
    }

    @Test func afterHoursRequestsWaitAndAreServedAtTheOpeningHighestPriorityFirst() async throws {
        let running = await RunningService(label: "hours")
        let (hours, opensAt) = Self.hoursOpeningSoon()
        let events = try await DedicatedThread.run { () -> [ReceivedEvent] in
            let client = ControlClient(url: brokerURL, prefix: running.prefix)
            defer { client.close() }
            let watcher = try EventWatcher(url: brokerURL, exchange: Topology(prefix: running.prefix).events)
            defer { watcher.close() }
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 2])
            let source = try client.ok("source.create", ["name": "Chat", "identifier": "chat", "hours": hours])
            #expect(source["open_now"] == false && source["next_change_at"]?.string.flatMap { Timestamp(rfc3339: $0) } == opensAt)
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10)])])
            for (user, priority) in [("low", 1), ("high", 7), ("later", 7)] {
                try client.intake(user: user, source: "chat", priority: priority)
            }
            var seen = try watcher.collect(for: .seconds(20)) { $0.filter { $0.routingKey == "request.waiting" }.count == 3 }
            seen += try watcher.collect(for: .seconds(90)) { $0.filter { $0.routingKey == "request.assigned" }.count == 2 }
            return seen
        }
        let waiting = events.filter { $0.routingKey == "request.waiting" }.compactMap(\.event)
        #expect(waiting.count == 3 && waiting.allSatisfy { $0.waiting == Waiting(reason: .afterHours, opensAt: opensAt) })
        let assigned = events.filter { $0.routingKey == "request.assigned" }.compactMap(\.event)
        #expect(assigned.map(\.request.userIdentifier) == ["high", "later"], "the highest priority first, then the older")
        #expect(assigned.allSatisfy { $0.occurredAt >= opensAt }, "served before the opening")
        try await running.finish()
    }

    @Test func hoursMessagesMatchTheSchemasAndTheCLISetsAndShowsThem() async throws {
        let running = await RunningService(label: "hours-cli")
        let file = ScratchFolder.make("hours").appendingPathComponent("hours.json")
        try Data(#"{"time_zone":"Europe/Moscow","weekly":[{"days":["mon","tue","wed","thu","fri"],"open":"09:00","close":"18:00"}],"closed_on":["2026-12-31"]}"#.utf8)
            .write(to: file)
        let captured = try await captureMessages(running) { recorder, watcher in
            try recorder.recordSuccess("source.create", ["name": "Night", "identifier": "night", "hours": Self.hoursOpeningSoon().hours],
                                       result: "source.json")
            try recorder.client.intake(user: "u1", source: "night")
            recorder.add(try #require(watcher.collect(until: "request.waiting", timeout: .seconds(10)).last))
            let p = running.prefix
            let set = try ctlJSON(["source", "update", "1", "--hours", file.path, "--json"], prefix: p)
            #expect(set["hours"]?["time_zone"] == "Europe/Moscow" && set["hours"]?["closed_on"] == ["2026-12-31"])
            let week = try ctl(["source", "hours", "1"], prefix: p)
            #expect(week.status == 0 && week.stdout.contains("times in Europe/Moscow") && week.stdout.contains("mon ")
                    && week.stdout.contains("09:00–18:00") && week.stdout.contains("sat ") && week.stdout.contains("closed"))
            let cleared = try ctlJSON(["source", "update", "1", "--hours", "none", "--json"], prefix: p)
            #expect(cleared["hours"] == .null && cleared["open_now"] == true && cleared["next_change_at"] == .null)
            let bad = try ctl(["source", "update", "1", "--hours", "/nonexistent/hours.json"], prefix: p)
            #expect(bad.status != 0 && bad.stderr.contains("cannot read /nonexistent/hours.json"))
            try Data(#"{"time_zone":"Mars/Olympus","weekly":[{"days":["mon"],"open":"09:00","close":"18:00"}]}"#.utf8).write(to: file)
            let refused = try ctl(["source", "update", "1", "--hours", file.path], prefix: p)
            #expect(refused.status != 0 && refused.stderr.contains("hours.time_zone"))
        }
        #expect(captured.keys.contains("event-request.waiting.json"))
        try expectValid(captured)
        try await running.finish()
    }
}
