// Requests distributed per second through the store, with the production durability
// (WAL, synchronous=FULL) on a temporary file. Prints one line per batch size, and the cost
// of a bare fsync'd SQLite commit on the same disk as the reference to read them against;
// then the same intake on the local PostgreSQL beside SQLite, when `scripts/postgres` runs it.
//
//   swift run -c release store-bench [requests-per-size]
import BrokerTestSupport
import Foundation
import GRDB
import Postgres
import SwitchboardCore
import SwitchboardStore

let requestsPerSize = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 20_000
let operatorCount = CommandLine.arguments.dropFirst(2).first.flatMap(Int.init) ?? 3

func temporaryPath(_ label: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("store-bench-\(label)-\(UUID().uuidString).sqlite").path
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A fresh SQLite file, or a fresh database on the local PostgreSQL (`scripts/postgres`).
func freshLocation(postgres: Bool) throws -> StoreLocation {
    postgres ? .postgres(url: try LocalPostgres.freshDatabase("store_bench")) : .file(path: temporaryPath("world"))
}

func makeWorld(operators: Int, postgres: Bool = false) throws -> SwitchboardStore {
    let store = try SwitchboardStore(location: try freshLocation(postgres: postgres), random: SplitMix64(seed: 42))
    var setup: [WorkItem] = (0..<operators).map { .command(.operatorCreate(name: "Operator \($0)", maxLoadLimit: 10_000, isActive: true)) }
    setup += ["telegram", "email", "phone"].map { .command(.sourceCreate(name: $0.capitalized, identifier: $0)) }
    setup += (1...3).map { source in
        .command(.sourceSetWeights(sourceId: Int64(source), weights: (1...operators).map {
            Weight(operatorId: Int64($0), weight: ($0 * 7 + source) % 100 + 1)
        }))
    }
    _ = try store.apply(setup)
    return store
}

/// This thread's CPU time so far, in seconds.
func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Intake throughput in requests/s for one batch size, and the CPU each request took on
/// this thread (the service's writer does the same work, and on a machine shared with the
/// broker its CPU, not its waits, is what limits throughput).
func intake(batch: Int, total: Int, operators: Int = operatorCount, postgres: Bool = false) throws
    -> (perSecond: Double, cpuMicroseconds: Double) {
    let store = try makeWorld(operators: operators, postgres: postgres)
    let sources = ["telegram", "email", "phone"]
    let clock = ContinuousClock()
    let cpuBefore = threadCPUSeconds()
    let elapsed = try clock.measure {
        var sent = 0
        while sent < total {
            let size = min(batch, total - sent)
            let items: [WorkItem] = (sent..<sent + size).map { n in
                .intake(IntakeMessage(userIdentifier: "user\(n % 5_000)@bench", source: .identifier(sources[n % 3]),
                                      message: "Request number \(n)"), messageId: "bench-\(n)")
            }
            _ = try store.apply(items)
            sent += size
        }
    }
    return (Double(total) / seconds(elapsed), (threadCPUSeconds() - cpuBefore) / Double(total) * 1e6)
}

func intakeRate(batch: Int, total: Int, operators: Int = operatorCount, postgres: Bool = false) throws -> Double {
    try intake(batch: batch, total: total, operators: operators, postgres: postgres).perSecond
}

/// One fsync'd commit of one small row: what any durable per-message design pays per message.
func fsyncCommitRate(count: Int) throws -> Double {
    let pool = try DatabasePool(path: temporaryPath("fsync"))
    // On the writer, after the pool has enabled WAL (which sets NORMAL), as the store does.
    try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
    try pool.write { try $0.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") }
    let elapsed = try ContinuousClock().measure {
        for n in 0..<count { try pool.write { try $0.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: ["\(n)"]) } }
    }
    return Double(count) / seconds(elapsed)
}

let reference = try fsyncCommitRate(count: 2_000)
print("reference: bare fsync'd SQLite commit of one row: \(Int(reference)) commits/s (\(String(format: "%.3f", 1000 / reference)) ms each)")
for batch in [1, 16, 64, 256] {
    let total = batch == 1 ? min(requestsPerSize, 3_000) : requestsPerSize
    let (rate, cpu) = try intake(batch: batch, total: total)
    print(String(format: "intake batch %4d: %9.0f requests/s  (%.1fx the fsync'd commit rate; %d requests, %d operators; CPU %.1f µs a request)",
                 batch, rate, rate / reference, total, operatorCount, cpu))
}
// The same intake on PostgreSQL (synchronous_commit on), when the local server runs, with a
// round trip's cost (`SELECT 1`) as the reference: a store on a server pays one per answer.
if LocalPostgres.isRunning {
    let session = try PostgresConnection(url: try LocalPostgres.freshDatabase("store_bench"))
    let trips = 5_000
    let tripTime = try ContinuousClock().measure { for _ in 0..<trips { _ = try session.execute("SELECT 1") } }
    print(String(format: "reference: one round trip to PostgreSQL on loopback: %.1f µs", seconds(tripTime) / Double(trips) * 1e6))
    for batch in [1, 64, 256] {
        let total = batch == 1 ? min(requestsPerSize, 3_000) : requestsPerSize
        let sqlite = try intakeRate(batch: batch, total: total)
        let postgres = try intakeRate(batch: batch, total: total, postgres: true)
        print(String(format: "intake batch %4d on PostgreSQL: %9.0f requests/s  (%.2f of SQLite's %.0f, measured next to it)",
                     batch, postgres, postgres / sqlite, sqlite))
    }
} else {
    print("PostgreSQL: not running (scripts/postgres start), skipped")
}
let many = try intakeRate(batch: 64, total: requestsPerSize, operators: 1_000)
print(String(format: "intake batch   64 with 1,000 weighted operators: %9.0f requests/s", many))

// 10,000 offers expiring in the same second, nobody answering: the writer's pass over them
// (decline, re-route to another operator, events) in one transaction, against intake of the
// same 10,000 requests on the same disk.
final class BenchClock: @unchecked Sendable {
    var ms = Timestamp.now().milliseconds
    func read() -> Timestamp { Timestamp(milliseconds: ms) }
}
let clock = BenchClock()
let offers = try SwitchboardStore(path: temporaryPath("offers"), random: SplitMix64(seed: 7), now: clock.read, awayAfterMissed: 0)
let offerOperators = 20
_ = try offers.apply((0..<offerOperators).map { .command(.operatorCreate(name: "Operator \($0)", maxLoadLimit: 10_000, isActive: true)) }
    + [.command(.sourceCreate(name: "Chat", identifier: "chat", settings: SourceSettings(offerTimeoutSeconds: 1))),
       .command(.sourceSetWeights(sourceId: 1, weights: (1...offerOperators).map { Weight(operatorId: Int64($0), weight: 10) }))])
let expiring = 10_000
let offerIntake = try ContinuousClock().measure {
    for start in stride(from: 0, to: expiring, by: 256) {
        _ = try offers.apply((start..<min(start + 256, expiring)).map { n in
            .intake(IntakeMessage(userIdentifier: "user\(n)", source: .identifier("chat"), message: "Request \(n)"), messageId: "offer-\(n)")
        })
    }
}
clock.ms += 1_500
var expiryEvents = 0
let expiryPass = try ContinuousClock().measure { expiryEvents = try offers.apply([]).events.count }
print(String(format: "%d offers expiring at once: re-routed in %.3f s (%d events; intake of the same requests took %.3f s, ratio %.2f)",
             expiring, seconds(expiryPass), expiryEvents, seconds(offerIntake), seconds(expiryPass) / seconds(offerIntake)))

// The accept path on its own: every offer of a batch-intake accepted, in batches of 256, as
// the commands of consoles arrive (read off the wire as the pipeline reads them, from a
// console user, so audited with their arguments), against the intake of the same requests.
let accepting = try SwitchboardStore(path: temporaryPath("accept"), random: SplitMix64(seed: 9))
_ = try accepting.apply((0..<10).map { .command(.operatorCreate(name: "Operator \($0)", maxLoadLimit: 10_000, isActive: true)) }
    + [.command(.sourceCreate(name: "Chat", identifier: "chat", settings: SourceSettings(offerTimeoutSeconds: 600))),
       .command(.sourceSetWeights(sourceId: 1, weights: (1...10).map { Weight(operatorId: Int64($0), weight: $0 * 9) }))])
var holders: [(Int64, Int64)] = []
let acceptIntake = try ContinuousClock().measure {
    for start in stride(from: 0, to: expiring, by: 256) {
        let applied = try accepting.apply((start..<min(start + 256, expiring)).map { n in
            .intake(IntakeMessage(userIdentifier: "user\(n)", source: .identifier("chat"), message: "Request \(n)"), messageId: "a-\(n)")
        })
        for case let .intake(.offered(id, op)) in applied.results { holders.append((id, op)) }
    }
}
let accepts = try ContinuousClock().measure {
    for start in stride(from: 0, to: holders.count, by: 256) {
        _ = try accepting.apply(holders[start..<min(start + 256, holders.count)].map { id, op in
            let body = #"{"command":"request.accept","args":{"id":\#(id),"operator_id":\#(op)}}"#
            return .control(Command.read(Array(body.utf8)), messageId: "accept-\(id)", user: "console")
        })
    }
}
print(String(format: "%d offers accepted in %.3f s; their intake took %.3f s (accept / intake time %.2f)",
             holders.count, seconds(accepts), seconds(acceptIntake), seconds(accepts) / seconds(acceptIntake)))
