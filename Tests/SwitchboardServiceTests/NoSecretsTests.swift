import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardCore
import Testing

/// The broker password in SWITCHBOARD_AMQP_URL must never leave the process: not in a log
/// line at the most verbose level, an error message, a `service.status` field, the CLI's
/// output or the database, whether the broker answers, refuses the login, is unreachable or
/// fails the TLS handshake.
@Suite struct NoSecretsTests {
    @Test func thePasswordInTheBrokerURLShowsNowhereWhenAllGoesWell() async throws {
        let user = BrokerUser("secret")
        try user.create()
        defer { user.delete() }
        let prefix = uniquePrefix("secrets"), database = temporaryDatabase()
        let shown = try await DedicatedThread.run {
            var shown: [String] = []
            let service = try ServiceProcess(prefix: prefix, databasePath: database, environment: [
                "SWITCHBOARD_AMQP_URL": user.url.unredacted, "SWITCHBOARD_LOG_LEVEL": "trace", "SWITCHBOARD_ADMIN_USERS": user.name,
            ])
            try service.waitForRole("active", timeout: .seconds(30))
            func run(_ arguments: String...) throws -> CLIResult {
                let result = try ctl(arguments, prefix: prefix, url: user.url)
                shown += [result.stdout, result.stderr]
                return result
            }
            #expect(try run("operator", "create", "--name", "Ann", "--max-load", "2").status == 0)
            #expect(try run("operator", "get", "7").status == 1, "an error reply")
            let status = try run("health", "--json")
            #expect(status.json?["role"]?.string == "active", "\(status.stdout)")
            #expect(try run("audit").status == 0)
            #expect(try run("request", "send", "--user", "u1", "--source", "nowhere", "--message", "hi").status == 0)
            // The broker drops the service's connections: the reconnect path logs the error,
            // and the service comes back.
            try closeBrokerConnections(matching: user.name, reason: "closed by the no-secrets test")
            // Back once it answers again, having counted the reconnect (its log then holds the error).
            #expect(throws: Never.self, "the service is back after the broker closed its connections") {
                try eventually(within: .seconds(20), "service.status counts a reconnect") { seen -> Bool? in
                    let health = try run("health", "--json")
                    seen = health.stdout + health.stderr
                    return (health.json?["counters"]?["reconnects"]?.int ?? 0) >= 1 ? true : nil
                }
            }
            #expect(service.terminate(timeout: .seconds(20)) == 0)
            shown.append(service.output)
            return shown
        }
        #expect(shown.joined().contains("Ann"), "the outputs were captured")
        for text in shown { #expect(!text.contains(user.password), "\(text)") }
        // On PostgreSQL the database URL has a login of its own, which no output may show either.
        if let login = URLComponents(string: database), let password = login.password, let name = login.user {
            for text in shown { #expect(!text.contains("\(name):\(password)@"), "\(text)") }
        }
        #expect(try !TestDatabase.holds(user.password, database: database), "the database holds the password")
        #expect(try TestDatabase.holds("Ann", database: database), "the search reads what is stored")
        try await deleteTopology(prefix)
    }

    @Test(arguments: [
        ("login refused", "amqp://someone:%@@127.0.0.1:5672/%2f", "ACCESS_REFUSED"),
        ("unreachable", "amqp://someone:%@@127.0.0.1:1/%2f", "127.0.0.1:1"),
        ("TLS refused", "amqps://guest:%@@localhost:5671/%2f?cacertfile=\(LocalTLS.otherCA)", "SSL"),
        ("bad URL", "amqp://someone:%@@127.0.0.1:99999/%2f", "port"),
    ])
    func thePasswordShowsNowhereWhenTheBrokerCannotBeReached(_ situation: String, _ template: String, _ expected: String) async throws {
        let secret = "pw-\(UUID().uuidString)"
        let urlText = template.replacingOccurrences(of: "%@", with: secret)
        let prefix = uniquePrefix("secrets-fail")
        let (cliOutput, serviceOutput) = try await DedicatedThread.run {
            let service = try ServiceProcess(prefix: prefix, databasePath: temporaryDatabase(), environment: [
                "SWITCHBOARD_AMQP_URL": urlText, "SWITCHBOARD_LOG_LEVEL": "trace",
            ])
            // Either the service retries and its readiness says why, or it exits at once (a bad
            // URL, status 78) and its last line says why.
            let said = try? eventually(within: .seconds(20), "the service says why") { seen -> String? in
                if !service.process.isRunning { return "exit \(service.process.terminationStatus): \(service.output)" }
                let answer = try service.readiness()
                seen = answer.body
                return answer.body.contains(expected) ? answer.body : nil
            }
            _ = service.terminate(timeout: .seconds(10))
            let cli = try ctl(["operator", "list", "--amqp-url", urlText, "--timeout", "2"], prefix: prefix)
            return (cli.stdout + cli.stderr, (said ?? "") + "\n" + service.output)
        }
        #expect(serviceOutput.contains(expected), "\(situation): the service says why: \(serviceOutput)")
        #expect(cliOutput.contains(expected), "\(situation): the CLI says why: \(cliOutput)")
        #expect(!serviceOutput.contains(secret), "\(situation): \(serviceOutput)")
        #expect(!cliOutput.contains(secret), "\(situation): \(cliOutput)")
    }
}
