import Foundation

/// How many consumers `rabbitmqctl list_consumers` shows on each of `queues` (a queue with
/// none is absent). The listing can show too few, never too many: RabbitMQ 3.10 asks each
/// quorum queue's Raft member for its consumers with a 5 s timeout and lists none for a
/// member that has not answered by then (`rabbit_amqqueue:consumers/1`). Under the whole
/// suite on CI, a queue the service was consuming from was listed without consumers.
public func listedConsumerCounts(_ queues: [String]) throws -> [String: Int] {
    let listing = try rabbitmqctlListing("list_consumers", "-q", "queue_name", "active")
    var counts: [String: Int] = [:]
    for line in listing.split(separator: "\n") {
        let name = String(line.split(separator: "\t").first ?? "")
        if queues.contains(name) { counts[name, default: 0] += 1 }
    }
    return counts
}

/// The first listing that shows a consumer on every one of `queues`, asked again until then;
/// after `timeout`, the last listing. For checks of queues known to have a consumer, where a
/// queue left out means only that its Raft member was slow to answer.
public func consumerCountsOnceEveryQueueIsListed(_ queues: [String], timeout: Duration) throws -> [String: Int] {
    var counts = try listedConsumerCounts(queues)
    _ = try? eventually(within: timeout, every: .zero, "a consumer listed on each of \(queues)") { seen -> Bool? in
        counts = try listedConsumerCounts(queues)
        seen = "\(counts)"
        return counts.count >= queues.count ? true : nil
    }
    return counts
}
