import Foundation
import Testing
@testable import AMQP

@Suite struct DedicatedThreadTests {
    @TaskLocal static var caller: String?

    @Test func theWorkSeesTheCallersTaskLocalsSoATestsExpectationsCountForThatTest() async throws {
        let seen = try await Self.$caller.withValue("this test") {
            try await DedicatedThread.run { (caller: Self.caller, test: Test.current?.name) }
        }
        #expect(seen.caller == "this test")
        #expect(seen.test == Test.current?.name)
    }

    @Test func theWorkRunsOnAThreadOfItsOwnByItsName() async throws {
        let names = try await (0..<100).asyncMap { index in
            try await DedicatedThread.run(name: "dedicated-\(index)") { Self.threadName() }
        }
        #expect(names == (0..<100).map { "dedicated-\($0)" })
    }

    @Test func anErrorThrownByTheWorkReachesTheCaller() async {
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await DedicatedThread.run { throw Refused() } }
    }

    /// The kernel's name of the calling thread, as `top -H` and `perf` show it.
    static func threadName() -> String {
        let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
        return comm.trimmingCharacters(in: .newlines)
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
