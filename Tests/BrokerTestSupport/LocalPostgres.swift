import Foundation
import Postgres

/// The PostgreSQL that `scripts/postgres start` runs on 127.0.0.1 (or the one named by
/// `SWITCHBOARD_TEST_POSTGRES_URL`), and a fresh database of its own for each test, dropped
/// when the test process exits.
public enum LocalPostgres {
    public static let url = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"]
        ?? "postgres://switchboard:switchboard@127.0.0.1:5433/switchboard"

    /// Whether the server answers on its port (`scripts/postgres start`).
    public static var isRunning: Bool {
        guard let port = url.split(separator: ":").last?.prefix(while: \.isNumber), let number = Int(port) else { return false }
        return RawHTTP.listens(number)
    }

    nonisolated(unsafe) private static var created: [String] = []
    private static let lock = NSLock()

    /// Creates an empty database and returns its URL.
    public static func freshDatabase(_ label: String = "test") throws -> String {
        let name = "\(label)_\(UUID().uuidString.prefix(8).lowercased())_\(getpid())"
        let admin = try PostgresConnection(url: url, applicationName: "switchboard tests")
        try admin.executeScript("CREATE DATABASE \"\(name)\"")
        lock.withLock {
            if created.isEmpty { atexit { LocalPostgres.dropCreated() } }
            created.append(name)
        }
        return url(ofDatabase: name)
    }

    /// The server's URL with another database name (and the same query options).
    public static func url(ofDatabase name: String) -> String {
        let slash = url.lastIndex(of: "/")!
        let query = url[slash...].firstIndex(of: "?").map { String(url[$0...]) } ?? ""
        return String(url[...slash]) + name + query
    }

    /// Each DROP DATABASE waits for a checkpoint (about a second each, one after another, for
    /// a suite's 150 databases); drops waiting at once share one, so they go from 8 sessions.
    private static func dropCreated() {
        let names = lock.withLock { created }
        let sessions = min(8, names.count)
        DispatchQueue.concurrentPerform(iterations: sessions) { session in
            guard let admin = try? PostgresConnection(url: url, applicationName: "switchboard tests") else { return }
            for name in stride(from: session, to: names.count, by: sessions).map({ names[$0] }) {
                try? admin.executeScript("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
            }
        }
    }
}
