import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

/// A tmpfs of a few megabytes, mounted for one test, so that a full disk is real and cannot
/// touch the machine's own disks. Mounting needs root (CI and these machines have it); the
/// test is skipped where it is refused.
final class SmallDisk: @unchecked Sendable {
    let folder: URL

    static let canMount: Bool = {
        guard let disk = try? SmallDisk(megabytes: 1) else { return false }
        disk.unmount()
        return true
    }()

    init(megabytes: Int) throws {
        folder = ScratchFolder.make("disk")
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", folder.path])
    }

    /// Writes a filler file until the disk refuses more.
    func fill() {
        let filler = folder.appendingPathComponent("filler")
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        guard let handle = try? FileHandle(forWritingTo: filler) else { return }
        defer { try? handle.close() }
        let chunk = Data(count: 64 * 1024)
        // At most 1 GiB: a tmpfs of a few megabytes is full long before.
        for _ in 0..<16_384 {
            do { try handle.write(contentsOf: chunk) } catch { break }
        }
        // A partial chunk may still fit: fill to the last block.
        for _ in 0..<64 {
            do { try handle.write(contentsOf: Data(count: 1024)) } catch { break }
        }
    }

    func free() {
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("filler"))
    }

    func unmount() {
        try? Self.run("/bin/umount", ["-l", folder.path])
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolFailure(command: "\(tool) \(arguments.joined(separator: " "))", output: "exit status \(process.terminationStatus)")
        }
    }
}

@Suite(.enabled(if: TestDatabase.isSQLite, "a SQLite file on a full disk; PostgreSQL is its server's disk")) struct FullDiskTests {
    @Test(.enabled(if: SmallDisk.canMount, "mounting a tmpfs needs root"))
    func aFullDiskMakesTheServiceUnreadyAndLosesNoRequestOnceSpaceReturns() async throws {
        try await DedicatedThread.run {
            let disk = try SmallDisk(megabytes: 64)
            defer { disk.unmount() }
            let prefix = uniquePrefix("full-disk")
            let service = try ServiceProcess(prefix: prefix, databasePath: disk.folder.appendingPathComponent("switchboard.sqlite").path)
            let client = ControlClient(url: brokerURL, prefix: prefix)
            defer { client.close(); _ = service.terminate(timeout: .seconds(10)) }
            guard try client.waitUntilAnswering(timeout: .seconds(30)) else { throw StartFailure(log: service.output) }
            let port = try service.httpListening()
            let http = RawHTTP(port: port)
            try client.ok("operator.create", ["name": "Ann", "max_load_limit": 10_000])
            try client.ok("source.create", ["name": "Chat", "identifier": "chat"])
            try client.ok("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 1)])])
            #expect(try http.get("/readyz").status == 200)

            disk.fill()
            // Requests of 10,000 characters: 600 of them need more pages than any log or
            // database file already holds, so a commit must ask the disk for space.
            let message = String(repeating: "x", count: Limits.messageLength)
            let sent = 600
            for n in 0..<sent { try client.intake(user: "u\(n)", source: "chat", message: message) }

            let unready = try http.poll("/readyz", until: 503, timeout: .seconds(20))
            #expect(unready.status == 503, "\(unready.body)\n\(service.output.suffix(2_000))")
            #expect(unready.body.contains("database not writable: the disk that holds the database is full — free space on it"), "\(unready.body)")
            #expect(try http.get("/healthz").status == 200, "alive all the same")
            // Held, not bounced through reconnects: readiness stays down while the disk is full.
            let flaps = (0..<10).filter { _ in
                Thread.sleep(forTimeInterval: 0.1)  // sampling interval: ten samples over a second
                return (try? http.get("/readyz").status) != 503
            }
            #expect(flaps.isEmpty, "ready \(flaps.count) times of 10 with the disk full")
            let during = parsePrometheus(try http.get("/metrics").body)
            #expect((during.value("switchboard_database_refused_writes_total") ?? 0) >= 1, "metrics still answer, and count the refusals")

            disk.free()
            let ready = try http.poll("/readyz", until: 200, timeout: .seconds(30))
            #expect(ready.status == 200, "\(ready.body)\n\(service.output.suffix(2_000))")
            // Counted first, then read 50 a page: 600 messages of 10,000 characters in one page
            // made a reply of 6 MB, which a loaded 2-core machine did not send within a call's 5 s.
            #expect(try client.waitForCount(sent, timeout: .seconds(30)) == sent)
            let stored = try client.allRequests(pageSize: 50)
            #expect(stored.count == sent, "every accepted request is stored once space returns")
            #expect(Set(stored.compactMap { $0["user_id"]?.int }).count == sent, "each once, from 600 different users")
            let dead = try AMQPConnection(url: brokerURL)
            defer { dead.close() }
            try dead.openChannel()
            #expect(try dead.get(queue: Topology(prefix: prefix).deadQueue) == nil, "none dead-lettered")
            #expect(service.process.isRunning)
            try deleteTopologyNow(prefix)
        }
    }
}
