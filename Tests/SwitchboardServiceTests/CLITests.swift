import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardCore
import Testing

struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String

    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(stdout.utf8)) }
}

/// Runs the built `switchboardctl` and waits (bounded) for it to exit.
@discardableResult
func ctl(_ arguments: [String], prefix: String, url: AMQPURL? = nil, timeout: Duration = .seconds(20)) throws -> CLIResult {
    let process = Process()
    process.executableURL = ServiceProcess.executable.deletingLastPathComponent().appendingPathComponent("switchboardctl")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["SWITCHBOARD_PREFIX"] = prefix
    if let url { environment["SWITCHBOARD_AMQP_URL"] = url.unredacted }
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    _ = try? eventually(within: timeout, every: .milliseconds(10), "switchboardctl exits") { _ in process.isRunning ? nil : true }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return CLIResult(
        status: process.terminationStatus,
        stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
        stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
}

/// Runs switchboardctl with `--json` among `arguments`; it must succeed and print JSON.
func ctlJSON(_ arguments: [String], prefix: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
    let result = try ctl(arguments, prefix: prefix)
    #expect(result.status == 0, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
    return try #require(result.json, "not JSON: \(result.stdout)", sourceLocation: sourceLocation)
}

@Suite struct CLITests {
    @Test func everyCommandInJSONMode() async throws {
        let running = await RunningService(label: "cli-json")
        try await DedicatedThread.run {
            let p = running.prefix
            func json(_ args: String...) throws -> JSONValue { try ctlJSON(args + ["--json"], prefix: p) }
            let ivan = try json("operator", "create", "--name", "Иван Петров", "--max-load", "10")
            #expect(ivan["id"]?.int == 1)
            #expect(ivan["name"]?.string == "Иван Петров")
            #expect(ivan["is_active"] == .bool(true))
            #expect(ivan["max_load_limit"]?.int == 10)
            #expect(ivan["current_load"]?.int == 0)
            let maria = try json("operator", "create", "--name", "Мария Сидорова", "--max-load", "15", "--inactive")
            #expect(maria["is_active"] == .bool(false))
            #expect(try json("operator", "list").array.compactMap { $0["name"]?.string } == ["Иван Петров", "Мария Сидорова"])
            #expect(try json("operator", "get", "2")["max_load_limit"]?.int == 15)
            let updated = try json("operator", "update", "2", "--name", "Мария", "--max-load", "3", "--active", "true")
            #expect(updated["name"]?.string == "Мария")
            #expect(updated["max_load_limit"]?.int == 3)
            #expect(updated["is_active"] == .bool(true))
            #expect(try json("operator", "toggle", "2")["is_active"] == .bool(false))
            let telegram = try json("source", "create", "--name", "Telegram Bot", "--identifier", "telegram")
            #expect(telegram["identifier"]?.string == "telegram")
            #expect(telegram["weights"] == .array([]))
            let weighted = try json("source", "weights", "1", "1=50", "2=30")
            #expect(weighted["weights"] == .array([["operator_id": 1, "weight": 50], ["operator_id": 2, "weight": 30]]))
            #expect(try json("source", "list").array.count == 1)
            #expect(try json("source", "get", "1")["name"]?.string == "Telegram Bot")
            let sent = try json("request", "send", "--user", "user123@telegram", "--source", "telegram", "--message", "Привет", "--message-id", "cli-1")
            #expect(sent["message_id"]?.string == "cli-1")
            #expect(try ctl(["request", "send", "--user", "u2", "--source-id", "1", "--message", "second"], prefix: p).status == 0)
            var listed: [JSONValue] = []
            try? eventually(within: .seconds(10), "two requests listed", read: { try json("request", "list").array }) {
                listed = $0
                return $0.count >= 2
            }
            #expect(listed.count == 2)
            #expect(listed.first?["operator_id"]?.int == 1, "Мария is inactive: Иван gets it")
            #expect(try json("request", "list", "--status", "assigned", "--operator", "1", "--source", "1", "--limit", "1").array.count == 1)
            let detail = try json("request", "get", "1")
            #expect(detail["user"]?["identifier"]?.string == "user123@telegram")
            #expect(detail["source"]?["identifier"]?.string == "telegram")
            #expect(detail["operator"]?["name"]?.string == "Иван Петров")
            #expect(detail["message"]?.string == "Привет")
            _ = try json("operator", "toggle", "2")
            #expect(try json("request", "assign", "1", "--operator", "2")["operator_id"]?.int == 2)
            #expect(try json("request", "close", "1")["status"]?.string == "closed")
            let load = try json("stats", "load")["operators"]?.array ?? []
            #expect(load.compactMap { $0["current_load"]?.int } == [1, 0])
            #expect(load.first?["load_percentage"] == .integer(10) || load.first?["load_percentage"] == .number(10))
            let distribution = try json("stats", "distribution")
            #expect(distribution["by_source"]?.array.first?["request_count"]?.int == 2)
            #expect(distribution["unassigned_count"]?.int == 0)
            #expect(try json("health")["status"]?.string == "ok")
            _ = try json("operator", "create", "--name", "Temp", "--max-load", "1")
            #expect(try json("operator", "delete", "3")["deleted"]?.int == 3)
        }
        try await running.finish()
    }

    @Test func tablesAlignWideTextAndShowPercentages() async throws {
        let running = await RunningService(label: "cli-table")
        try await DedicatedThread.run {
            let p = running.prefix
            for (name, limit) in [("Иван Петров", "3"), ("李小龍", "4"), ("Al", "10")] {
                #expect(try ctl(["operator", "create", "--name", name, "--max-load", limit], prefix: p).status == 0)
            }
            try ctl(["source", "create", "--name", "Telegram Bot", "--identifier", "telegram"], prefix: p)
            try ctl(["source", "weights", "1", "1=100"], prefix: p)
            for n in 0..<2 { try ctl(["request", "send", "--user", "u\(n)", "--source", "telegram", "--message", "m"], prefix: p) }
            var load = ""
            try? eventually(within: .seconds(10), "a load of 2/3", read: { try ctl(["stats", "load"], prefix: p).stdout }) {
                load = $0
                return $0.contains("2/3")
            }
            let lines = load.split(separator: "\n").map(String.init)
            #expect(lines.count == 4)
            #expect(lines[1].contains("Иван Петров") && lines[1].contains("2/3") && lines[1].contains("66.67%"))
            #expect(lines[1].contains("███████···"))
            #expect(lines[2].contains("李小龍") && lines[2].contains("0.00%"))
            // Every row's LOAD column ends at the same terminal column, wide characters included.
            let ends = lines.map { line -> Int in
                let upTo = line.range(of: "%", options: .backwards).map { String(line[..<$0.upperBound]) } ?? line
                return displayWidthForTest(upTo)
            }
            #expect(Set(ends.dropFirst()).count == 1, "\(load)")
            let distribution = try ctl(["stats", "distribution"], prefix: p).stdout
            #expect(distribution.contains("By operator:"))
            #expect(distribution.contains("By source:"))
            #expect(distribution.contains("100.00%"))
            #expect(distribution.contains("Unassigned: 0 of 2"))
        }
        try await running.finish()
    }

    @Test func errorsExitCodesAndMessages() async throws {
        let running = await RunningService(label: "cli-errors")
        try await DedicatedThread.run {
            let p = running.prefix
            let invalid = try ctl(["source", "weights", "9", "1=500"], prefix: p)
            #expect(invalid.status == 1)
            #expect(invalid.stderr.contains("validation_error"))
            #expect(invalid.stderr.contains("weights[0].weight: must be between 1 and 100"))
            let missing = try ctl(["operator", "get", "42"], prefix: p)
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("not_found"))
            let usage = try ctl(["operator", "create", "--name", "x"], prefix: p)
            #expect(usage.status == 2)
            #expect(usage.stderr.contains("--max-load"))
            let badPairs = try ctl(["source", "weights", "1", "oops"], prefix: p)
            #expect(badPairs.status == 2)
            let silent = try ctl(["operator", "list", "--timeout", "0.5"], prefix: "nobody-\(UUID().uuidString.prefix(6))")
            #expect(silent.status == 3)
            #expect(silent.stderr.contains("not answering"))
            let unreachable = try ctl(["operator", "list", "--amqp-url", "amqp://ops:hunter2@127.0.0.1:1/%2f"], prefix: p)
            #expect(unreachable.status == 4)
            #expect(unreachable.stderr.contains("127.0.0.1:1"))
            #expect(!unreachable.stderr.contains("hunter2"), "the password never shows")
            let unhealthy = try ctl(["health", "--timeout", "0.5"], prefix: "nobody-\(UUID().uuidString.prefix(6))")
            #expect(unhealthy.status == 1)
            #expect(try ctl(["health"], prefix: p).status == 0)
        }
        try await running.finish()
    }

    @Test func watchPrintsTheEventsOfRequestsSentMeanwhile() async throws {
        let running = await RunningService(label: "cli-watch")
        try await DedicatedThread.run {
            let p = running.prefix
            try ctl(["operator", "create", "--name", "Иван Петров", "--max-load", "1"], prefix: p)
            try ctl(["source", "create", "--name", "Telegram Bot", "--identifier", "telegram"], prefix: p)
            try ctl(["source", "weights", "1", "1=10"], prefix: p)
            let watch = Process()
            watch.executableURL = ServiceProcess.executable.deletingLastPathComponent().appendingPathComponent("switchboardctl")
            watch.arguments = ["watch", "--count", "2", "--prefix", p]
            let out = Pipe()
            watch.standardOutput = out
            try watch.run()
            // Its queue is bound once it says it is watching.
            let banner = out.fileHandleForReading.availableData
            #expect(String(decoding: banner, as: UTF8.self).contains("Watching"))
            try ctl(["request", "send", "--user", "first@telegram", "--source", "telegram", "--message", "a"], prefix: p)
            try ctl(["request", "send", "--user", "second@telegram", "--source", "telegram", "--message", "b"], prefix: p)
            _ = try? eventually(within: .seconds(15), every: .milliseconds(20), "watch exits after two events") { _ in
                watch.isRunning ? nil : true
            }
            if watch.isRunning { watch.terminate() }
            let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n").map(String.init)
            #expect(watch.terminationStatus == 0)
            #expect(lines.count == 2, "\(lines)")
            #expect(lines.first?.contains("request.assigned") == true)
            #expect(lines.first?.contains("operator=Иван Петров (1)") == true)
            #expect(lines.first?.contains("user=first@telegram") == true)
            #expect(lines.last?.contains("request.waiting") == true)
            #expect(lines.last?.contains("source=telegram") == true)
        }
        try await running.finish()
    }

    /// Presence, offers and source settings from the command line, with global options
    /// before the subcommand as well as after it.
    @Test func presenceAndOffersFromTheCommandLine() async throws {
        let running = await RunningService(label: "cli-offers")
        try await DedicatedThread.run {
            let p = running.prefix
            func json(_ args: String...) throws -> JSONValue { try ctlJSON(["--json", "--timeout", "5"] + args, prefix: p) }
            _ = try json("operator", "create", "--name", "Ann", "--max-load", "2")
            #expect(try json("operator", "create", "--name", "Bob", "--max-load", "2", "--presence", "away")["presence"]?.string == "away")
            _ = try json("source", "create", "--name", "Chat", "--identifier", "chat")
            #expect(try json("source", "update", "1", "--offer-timeout", "60")["offer_timeout_seconds"]?.int == 60)
            _ = try json("source", "weights", "1", "1=10", "2=10")
            _ = try json("request", "send", "--user", "u1", "--source", "chat", "--message", "hi")
            var offered: [JSONValue] = []
            try? eventually(within: .seconds(10), "an offered request", read: { try json("request", "list", "--status", "offered").array }) {
                offered = $0
                return !$0.isEmpty
            }
            #expect(offered.first?["operator_id"]?.int == 1, "Bob is away: the offer goes to Ann")

            let wrong = try ctl(["request", "accept", "1", "--operator", "2"], prefix: p)
            #expect(wrong.status == 1 && wrong.stderr.contains("conflict: request 1 is not on offer to operator 2"))
            #expect(try json("operator", "presence", "2", "available")["presence"]?.string == "available")
            let rejected = try json("request", "reject", "1", "--operator", "1", "--reason", "lunch")
            #expect(rejected["operator_id"]?.int == 2 && rejected["status"]?.string == "offered")
            #expect(try json("request", "accept", "1", "--operator", "2")["status"]?.string == "assigned")

            let load = try ctl(["stats", "load"], prefix: p)
            #expect(load.stdout.contains("PRESENCE") && load.stdout.contains("OFFERED"), "\(load.stdout)")
            let requeued = try ctl(["operator", "presence", "2", "offline", "--requeue"], prefix: p)
            #expect(requeued.status == 0 && requeued.stdout.contains("offline"), "\(requeued.stderr)")
            #expect(try json("request", "get", "1")["operator_id"]?.int == 1, "requeued to Ann")
            let misuse = try ctl(["operator", "presence", "1", "away", "--requeue"], prefix: p)
            #expect(misuse.status == 1 && misuse.stderr.contains("requeue: is allowed only with presence offline"))
        }
        try await running.finish()
    }
}

extension CLITests {
    @Test func priorityRoutingSettingsAndServiceLevelFromTheCommandLine() async throws {
        let running = await RunningService(label: "cli-routing")
        try await DedicatedThread.run {
            let p = running.prefix
            func json(_ args: String...) throws -> JSONValue { try ctlJSON(["--json", "--timeout", "5"] + args, prefix: p) }
            _ = try json("operator", "create", "--name", "Ann", "--max-load", "1", "--inactive")
            let source = try json("source", "create", "--name", "Chat", "--identifier", "chat", "--max-wait", "600", "--sticky", "60")
            #expect(source["max_wait_seconds"]?.int == 600 && source["sticky_seconds"]?.int == 60 && source["overflow"] == .bool(false))
            let updated = try json("source", "update", "1", "--overflow", "--sticky", "0")
            #expect(updated["overflow"] == .bool(true) && updated["sticky_seconds"]?.int == 0 && updated["max_wait_seconds"]?.int == 600)
            #expect(try json("source", "update", "1", "--no-overflow")["overflow"] == .bool(false))
            _ = try json("source", "weights", "1", "1=10")
            _ = try json("request", "send", "--user", "u1", "--source", "chat", "--message", "hi", "--priority", "3")
            var waiting: [JSONValue] = []
            try? eventually(within: .seconds(10), "a waiting request", read: { try json("request", "list", "--status", "waiting").array }) {
                waiting = $0
                return !$0.isEmpty
            }
            #expect(waiting.first?["priority"]?.int == 3)
            #expect(try json("request", "priority", "1", "7")["priority"]?.int == 7)
            let tooHigh = try ctl(["request", "priority", "1", "10"], prefix: p)
            #expect(tooHigh.status == 1 && tooHigh.stderr.contains("priority: must be between 0 and 9"), "\(tooHigh.stderr)")

            let level = try json("stats", "service-level", "--since", "1h", "--thresholds", "30,60")
            #expect(level["overall"]?["requests"]?.int == 1 && level["waiting"]?["count"]?.int == 1)
            #expect(level["overall"]?["within"]?.array.compactMap { $0["threshold_seconds"]?.int } == [30, 60])
            let table = try ctl(["stats", "service-level", "--source", "1"], prefix: p)
            #expect(table.status == 0 && table.stdout.contains("Assigned within:") && table.stdout.contains("≤ 300 s")
                && table.stdout.contains("Waiting now: 1; oldest request 1 (source 1, priority 7)"), "\(table.stdout)")
            let unknown = try ctl(["stats", "service-level", "--source", "9"], prefix: p)
            #expect(unknown.status == 1 && unknown.stderr.contains("source_id: no source with id 9"), "\(unknown.stderr)")
            let badThresholds = try ctl(["stats", "service-level", "--thresholds", "30,soon"], prefix: p)
            #expect(badThresholds.status != 0 && badThresholds.stderr.contains("'soon' is not a whole number"), "\(badThresholds.stderr)")
            let list = try ctl(["request", "list"], prefix: p)
            #expect(list.stdout.contains("PRIO"), "\(list.stdout)")
        }
        try await running.finish()
    }
}

/// Terminal columns, as the CLI counts them (CJK wide = 2).
func displayWidthForTest(_ text: String) -> Int {
    text.reduce(0) { total, character in
        let v = character.unicodeScalars.first!.value
        return total + ((0x4E00...0x9FFF).contains(v) ? 2 : 1)
    }
}
