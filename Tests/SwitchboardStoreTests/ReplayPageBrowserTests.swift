import BrokerTestSupport
import Foundation
import SwitchboardCore
@testable import SwitchboardReplay
@testable import SwitchboardStore
import Testing

private let browserInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")

/// The report page of a real replay (the Spanish line's day, with a specialist added from
/// 09:00 to 13:00) in a real headless Chromium: saved with `--json`, drawn by
/// `switchboardctl replay --report --html`, checked and photographed by
/// scripts/replay-page-check. `SWITCHBOARD_REPLAY_SCREENSHOT` names where the picture goes
/// (`make screenshot` sets docs/replay.png).
@Suite(.enabled(if: browserInstalled, "scripts/setup installs chromium and chromium-driver"),
       .enabled(if: TestDatabase.isSQLite, "the page, not the store: once is enough"))
struct ReplayPageBrowserTests {
    @Test func theReportPageOfARealReplayStandsOnItsOwnInARealBrowser() throws {
        let (store, since, until) = try ReplayWhatIfTests.livedDay()
        let day = try store.recordedDay(since: since, until: until)
        let changes = try ReplayChanges.parse(["add_operators": [[
            "name": "temp", "max_load_limit": 2, "skills": ["lang.es": 4], "weights": ["2": 10],
            "presence_schedule": ["time_zone": "UTC", "weekly": [["days": ["thu"], "open": "09:00", "close": "13:00"]]],
        ]]], operators: Set(day.operators.map(\.id)), sources: Set(day.sources.map(\.id))).get()
        let folder = ScratchFolder.make("replay-page")
        let saved = folder.appendingPathComponent("report.json"), page = folder.appendingPathComponent("report.html")
        try JSON.encoder.encode(Replay.run(day, changes: changes, seed: 3)).write(to: saved)

        let ctl = try runTool(SwitchboardProcess.executable.deletingLastPathComponent().appendingPathComponent("switchboardctl"),
                              ["replay", "--report", saved.path, "--html", page.path])
        #expect(ctl.status == 0, "\(ctl.output)")
        #expect(ctl.output.contains("Replay of 785 requests") && ctl.output.contains("WITH CHANGES"), "\(ctl.output)")
        let screenshot = ProcessInfo.processInfo.environment["SWITCHBOARD_REPLAY_SCREENSHOT"] ?? folder.appendingPathComponent("replay.png").path
        let check = try runTool(repositoryRoot.appendingPathComponent("scripts/replay-page-check"), [page.path, "--screenshot", screenshot])
        #expect(check.status == 0, "\(check.output)")
        #expect(FileManager.default.fileExists(atPath: screenshot))

        let refused = try runTool(SwitchboardProcess.executable.deletingLastPathComponent().appendingPathComponent("switchboardctl"),
                                  ["replay", "--report", page.path])
        #expect(refused.status == 2 && refused.output.contains("is not a report saved with switchboardctl replay --json"))
    }
}

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
