// Requests distributed per second through the store, with the production durability
// (WAL, synchronous=FULL) on a temporary file. Prints one line per batch size, and the cost
// of a bare fsync'd SQLite commit on the same disk as the reference to read them against.
//
//   swift run -c release store-bench [requests-per-size]
import Foundation
import GRDB
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

func makeWorld(operators: Int) throws -> SwitchboardStore {
    let store = try SwitchboardStore(path: temporaryPath("world"), random: SplitMix64(seed: 42))
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

/// Intake throughput in requests/s for one batch size.
func intakeRate(batch: Int, total: Int, operators: Int = operatorCount) throws -> Double {
    let store = try makeWorld(operators: operators)
    let sources = ["telegram", "email", "phone"]
    let clock = ContinuousClock()
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
    return Double(total) / seconds(elapsed)
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
    let rate = try intakeRate(batch: batch, total: total)
    print(String(format: "intake batch %4d: %9.0f requests/s  (%.1fx the fsync'd commit rate; %d requests, %d operators)",
                 batch, rate, rate / reference, total, operatorCount))
}
let many = try intakeRate(batch: 64, total: requestsPerSize, operators: 1_000)
print(String(format: "intake batch   64 with 1,000 weighted operators: %9.0f requests/s", many))
