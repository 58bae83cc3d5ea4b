import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// The third edition's refused-event messages as the service really sends them: events with
/// their `sequence`, `events.list_set_aside` and `events.resend` with their replies, and
/// `service.status` with `events_retrying`.
@Suite struct RefusedEventsContractTests {
    @Test func setAsideAndResendMessagesMatchTheSchemas() async throws {
        let running = await RunningService(label: "contract-refused", eventRetryFor: .seconds(1))
        let captured = try await captureMessages(running) { recorder, watcher in
            let client = recorder.client
            try RefusedEventsTests.floor(client)
            let console = try RefusingConsole(prefix: running.prefix, room: 1)
            defer { console.close() }
            for n in 0..<3 { try client.intake(user: "u\(n)", source: "telegram", messageId: "cr-\(n)") }
            _ = try client.waitForStatus(timeout: .seconds(30)) { $0["events_set_aside"]?.int == 2 }
            let events = try watcher.collect(3, timeout: .seconds(10))
            #expect(events.allSatisfy { $0.event?.sequence != nil }, "every event carries its sequence")
            for event in events { recorder.add(event) }
            try recorder.recordSuccess("service.status", [:], result: "service-status.json")
            try recorder.recordSuccess("events.list_set_aside", ["limit": 10, "routing_key": "request.assigned"], result: "set-aside-event.json")
            let first = try #require(client.ok("events.list_set_aside").array.first?["event_id"]?.string)
            try recorder.recordSuccess("events.list_set_aside", ["after_event_id": .string(first)], result: "set-aside-event.json")
            try console.makeRoom(100)
            try recorder.recordSuccess("events.resend", ["event_ids": [.string(first)]], result: "resent.json")
            try recorder.recordSuccess("events.resend", ["all": true], result: "resent.json")
            let refused = try recorder.record("events.resend", [:], result: nil)
            #expect(refused.error?.code == .validationError && refused.error?.details.first?.field == "all")
        }
        #expect(Set(captured.keys).isSuperset(of: ["set-aside-event.json", "resent.json", "args/events.resend.json", "event-request.assigned.json"]),
                "\(captured.keys.sorted())")
        try expectValid(captured)
        try await running.finish()
    }
}
