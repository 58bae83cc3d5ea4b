import BrokerTestSupport
import Foundation
import Testing

/// Who writes once a test has killed the active instance. On SQLite, a new process on the
/// same file: the restart is the takeover. On PostgreSQL, a standby started beside the active
/// one, held stopped (SIGSTOP) from ``holdBack()`` until ``takeOver()``, so that a test can let
/// deadlines pass while nobody writes, and then see the standby's takeover handle them.
final class NextWriter {
    private let prefix: String
    private let database: String
    private let environment: [String: String]
    private let standby: ServiceProcess?

    init(prefix: String, database: String, environment: [String: String] = [:]) throws {
        self.prefix = prefix
        self.database = database
        self.environment = environment
        guard TestDatabase.isPostgres else {
            standby = nil
            return
        }
        let standby = try ServiceProcess(prefix: prefix, databasePath: database, environment: environment)
        try standby.waitForRole("standby", timeout: .seconds(30))
        self.standby = standby
    }

    /// Keeps the standby from taking over until ``takeOver()``: call it before the kill.
    func holdBack() {
        if let standby { kill(standby.process.processIdentifier, SIGSTOP) }
    }

    /// The process that writes next: the standby, let go, or a new process on the file.
    func takeOver() throws -> ServiceProcess {
        guard let standby else { return try ServiceProcess(prefix: prefix, databasePath: database, environment: environment) }
        kill(standby.process.processIdentifier, SIGCONT)
        return standby
    }
}
