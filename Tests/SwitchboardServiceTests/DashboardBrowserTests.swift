import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// Whether this machine has what the browser test drives (scripts/setup installs it).
private let browserInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")

/// The dashboard in a real headless Chromium: it signs in with the token, shows the
/// operators, and follows requests sent over AMQP live, without a reload
/// (scripts/browser-check does the driving). `SWITCHBOARD_SCREENSHOT` names where the
/// screenshot goes (`make screenshot` sets docs/dashboard.png).
@Suite(.enabled(if: browserInstalled, "scripts/setup installs chromium and chromium-driver"))
struct DashboardBrowserTests {
    @Test func theDashboardFollowsRequestsLiveInARealBrowser() async throws {
        let screenshot = ProcessInfo.processInfo.environment["SWITCHBOARD_SCREENSHOT"]
            ?? ScratchFolder.make("browser").appendingPathComponent("dashboard.png").path
        let (status, output) = try await DedicatedThread.run { () -> (Int32, String) in
            let (service, client, port, prefix) = try HTTPTests.start("browser")
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            try client.ok("operator.create", ["name": "Chloé", "max_load_limit": 5, "skills": ["lang.fr": 5, "billing": 2],
                                              "capacity": ["default": 5]])
            // Nobody speaks German: this one waits, counted as needing a skill nobody has.
            try client.intake(user: "hans", source: "chat", requires: [["skill": "lang.de"]])
            try client.ok("operator.set_presence", ["id": 2, "presence": "away"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 10), (2, 10), (3, 30)])])
            // Chloé closes a conversation of a source with a ten-minute wrap-up: shown with its time left.
            try client.ok("source.create", ["name": "Notes", "identifier": "notes", "wrap_up_seconds": 600])
            try client.ok("source.set_weights", ["source_id": 2, "weights": weightsArg([(3, 10)])])
            try client.intake(user: "wendy", source: "notes")
            _ = try client.waitForRequests(2)
            try client.ok("request.close", ["id": 2])
            // A source staffed an hour a day from two hours from now: shown closed, with its opening.
            let opening = Int((Timestamp.now().milliseconds / 60_000 + 120) % 1_440)
            let range: JSONValue = ["days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                    "open": .string(String(format: "%02d:%02d", opening / 60, opening % 60)),
                                    "close": .string(String(format: "%02d:%02d", min(opening + 60, 1_440) / 60, min(opening + 60, 1_440) % 60))]
            try client.ok("source.create", ["name": "Night", "identifier": "night", "hours": ["time_zone": "UTC", "weekly": [range]]])
            return try runScript("browser-check", [
                "http://127.0.0.1:\(port)/", "--ctl", ServiceProcess.executable.deletingLastPathComponent().appendingPathComponent("switchboardctl").path,
                "--prefix", prefix, "--amqp-url", brokerURL.unredacted, "--requests", "6", "--operators", "3",
                "--screenshot", screenshot, "--token", HTTPTests.token, "--skills", "Chloé=billing 2, lang.fr 5",
                "--channels", "Chloé=/5", "--unmatched", "1", "--wrap-up", "Chloé=1, ", "--source-hours", "night: closed, opens",
                "--transfer", "3=billing=1",
            ])
        }
        #expect(status == 0, "\(output)")
        #expect(FileManager.default.fileExists(atPath: screenshot), "the screenshot was saved")
    }

    @Test func theAPIDocsPageListsEveryOperationAndATryItCallAnswers() async throws {
        let token = "docs-token-\(UUID().uuidString)"
        let (status, output) = try await DedicatedThread.run { () -> (Int32, String) in
            let (service, client, http, prefix) = try HTTPAPITests.start("docs", environment: ["SWITCHBOARD_API_TOKENS": "ops:\(token)"])
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)); try? deleteTopologyNow(prefix) }
            return try runScript("docs-check", ["http://127.0.0.1:\(http.port)", "--token", token])
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("answered 200"), "\(output)")
    }
}
