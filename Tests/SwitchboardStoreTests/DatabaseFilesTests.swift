import BrokerTestSupport
import Foundation
import Testing
@testable import SwitchboardStore

@Suite(.enabled(if: TestDatabase.isSQLite, "SQLite's own")) struct DatabaseFilesTests {
    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func aFreshDatabaseAndItsLogsAreReadableByTheirOwnerOnly() throws {
        let folder = ScratchFolder.make("modes").appendingPathComponent("new-folder").path
        let path = folder + "/db.sqlite"
        let store = try makeStore(path: path)
        _ = try store.execute(.operatorCreate(name: "A", maxLoadLimit: 1, isActive: true))  // something in the log
        #expect(try mode(folder) == 0o700, "the folder the store created")
        for file in [path, path + "-wal", path + "-shm", path + ".lock"] {
            #expect(FileManager.default.fileExists(atPath: file), "\(file)")
            #expect(try mode(file) == 0o600, "\(file)")
        }
    }

    @Test func aSecondStoreOnTheSameFileIsRefusedNamingTheHolderUntilTheFirstCloses() throws {
        let path = temporaryDatabasePath()
        var first: SwitchboardStore? = try makeStore(path: path)
        #expect(throws: StoreError.databaseInUse(path: path, holderPID: getpid())) { _ = try SwitchboardStore(path: path) }
        let storeId = first?.storeId
        first = nil
        // Opened as every test reopens a file it closed: a child another test spawns that
        // instant shares the lock until its exec (the replay's workers, among others).
        let second = try makeStore(path: path)
        #expect(second.storeId == storeId, "the identity is made once, with the database")
    }

    @Test func everyDatabaseHasAnIdentityOfItsOwn() throws {
        let ids = try (0..<3).map { _ in try makeStore().storeId }
        #expect(Set(ids).count == 3)
        #expect(ids.allSatisfy { UUID(uuidString: $0) != nil && $0 == $0.lowercased() })
    }
}
