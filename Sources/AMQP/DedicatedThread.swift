import Foundation

/// Runs blocking work (rabbitmq-c calls) on a thread of its own, never on the Swift
/// concurrency pool, and hands the result back to async code.
public enum DedicatedThread {
    public static func run<T: Sendable>(
        name: String = "amqp", _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = name
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
