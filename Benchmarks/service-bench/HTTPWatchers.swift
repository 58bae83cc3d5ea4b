import BrokerTestSupport
import Foundation
import Synchronization

/// What a production service has watching it: Prometheus scraping /metrics every second,
/// and a supervisor's dashboard holding the live feed open (reading it as fast as it comes).
final class HTTPWatchers: @unchecked Sendable {
    private let port: Int
    private let stop = Atomic<Bool>(false)
    private var threads: [Thread] = []
    let scrapes = Atomic<Int>(0)
    let feedBytes = Atomic<Int>(0)

    init(port: Int) { self.port = port }

    func start() {
        let scraper = Thread { [self] in
            let http = RawHTTP(port: port)
            while !stop.load(ordering: .relaxed) {
                if (try? http.get("/metrics").status) == 200 { scrapes.add(1, ordering: .relaxed) }
                Thread.sleep(forTimeInterval: 1)  // Prometheus' pace, not a synchronisation
            }
        }
        let watcher = Thread { [self] in
            let http = RawHTTP(port: port)
            // One long exchange, read until the bench says stop: the feed sends a frame at
            // least every second, so the check comes that often.
            while !stop.load(ordering: .relaxed) {
                _ = try? http.exchange(Array("GET /feed HTTP/1.1\r\nHost: x\r\n\r\n".utf8), timeout: .seconds(2)) { received in
                    self.feedBytes.add(received, ordering: .relaxed)
                    return !self.stop.load(ordering: .relaxed)
                }
            }
        }
        threads = [scraper, watcher]
        threads.forEach { $0.start() }
    }

    /// Stops both and waits (bounded) until the feed is let go, so that what follows is
    /// measured with nobody watching.
    func finish() {
        stop.store(true, ordering: .relaxed)
        let deadline = Date().addingTimeInterval(5)
        while threads.contains(where: { !$0.isFinished }), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }
}
