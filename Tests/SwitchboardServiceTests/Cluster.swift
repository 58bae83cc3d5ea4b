import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardCore

/// The three-node loopback cluster of `scripts/broker cluster start` (`make test` starts it);
/// these tests are skipped where it is not running.
enum Cluster {
    static let ports = [5681, 5682, 5683]

    static var brokers: AMQPBrokers { brokers([1, 2, 3]) }

    static func url(_ n: Int) -> AMQPURL {
        var url = brokerURL
        url.port = ports[n - 1]
        return url
    }

    /// The nodes `numbers` (1-3), in that order.
    static func brokers(_ numbers: [Int]) -> AMQPBrokers { AMQPBrokers(numbers.map(url)) }

    /// Which node (1-3) a URL from `service.status` points at.
    static func node(of broker: String) -> Int? {
        ports.firstIndex { broker.contains("127.0.0.1:\($0)") }.map { $0 + 1 }
    }

    static var isRunning: Bool { ports.allSatisfy(RawHTTP.listens) }

    /// Where a quorum queue's members and leader are.
    struct Placement {
        var name: String
        var type: String
        var leader: String
        var members: [String]
        var online: [String]
    }

    /// The placement of every queue whose name starts with `prefix`, asked of node `n`.
    static func placement(of prefix: String, askingNode n: Int) throws -> [Placement] {
        let json = try rabbitmqctlListing("-q", "-n", "c\(n)@localhost", "list_queues", "name", "type", "leader", "members", "online",
                                   "--formatter", "json")
        // A classic queue (a client's reply queue) lists its members as a string, not an array.
        let rows = try JSONDecoder().decode([JSONValue].self, from: Data(json.utf8))
        return rows.compactMap { row in
            guard let name = row["name"]?.string, name.hasPrefix(prefix) else { return nil }
            let nodes = { (key: String) in row[key]?.array.compactMap(\.string) ?? [] }
            return Placement(name: name, type: row["type"]?.string ?? "", leader: row["leader"]?.string ?? "",
                             members: nodes("members"), online: nodes("online"))
        }
    }

    /// Stops node `n` (1-3) as an outage would, or starts it again.
    static func kill(_ n: Int) throws { try script("kill", n) }
    static func revive(_ n: Int) throws { try script("revive", n) }
    /// Freezes node `n` (SIGSTOP) as a hung host, or lets it go on.
    static func pause(_ n: Int) throws { try script("pause", n) }
    static func resume(_ n: Int) throws { try script("resume", n) }

    /// Through system(3), which waits on its own child: Foundation's Process never saw the
    /// script end once it had started a node in the background (the test hung on it).
    private static func script(_ action: String, _ n: Int) throws {
        let log = ScratchFolder.make("cluster").appendingPathComponent("\(action)-\(n).log").path
        let command = "\(repositoryRoot.appendingPathComponent("scripts/broker-cluster").path) \(action) \(n) > \(log) 2>&1 < /dev/null"
        guard system(command) == 0 else {
            throw ToolFailure(command: "scripts/broker cluster \(action) \(n)", output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
    }
}

