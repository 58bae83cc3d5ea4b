import Foundation

/// Where the machine's CPU went during a measurement, in seconds used so far: the system
/// under test's own, the broker's, and the bench's producer and sink. On a 2-core machine the
/// broker takes about a core at full speed, so every microsecond a contender spends per
/// message is taken from the broker: these shares say how far a throughput ratio can go.
struct CPUShares {
    /// The contender's own: the service process, or the router's thread in this process.
    var own: Double
    var broker: Double
    /// This process less the router's thread: the producer and the sink.
    var producerAndSink: Double
    /// Each RabbitMQ process's seconds in a snapshot: a process that ends between two
    /// snapshots (rabbitmqctl's own VM, a cluster node still stopping) takes its seconds out
    /// of a plain sum, and once made the broker's share negative (-460 µs a message).
    var brokerProcesses: [Int32: Double] = [:]

    /// Now, for a service in its own process, or for a router running in this one.
    static func now(service: Int32? = nil, router: PassThrough? = nil) -> CPUShares {
        let routerSeconds = router?.cpuSeconds ?? 0
        let own = service.flatMap(processSeconds) ?? routerSeconds
        let brokers = brokerProcessSeconds()
        return CPUShares(own: own, broker: brokers.values.reduce(0, +), producerAndSink: (processSeconds(getpid()) ?? 0) - routerSeconds,
                         brokerProcesses: brokers)
    }

    /// Per message, in microseconds, between `start` and `self` over `messages` messages.
    func microsecondsPerMessage(since start: CPUShares, messages: Int) -> CPUShares {
        let scale = 1e6 / Double(max(messages, 1))
        // Only processes still running count: what each used since the start, or since it began.
        let brokerUsed = brokerProcesses.reduce(0) { sum, process in sum + process.value - (start.brokerProcesses[process.key] ?? 0) }
        return CPUShares(own: (own - start.own) * scale, broker: brokerUsed * scale,
                         producerAndSink: (producerAndSink - start.producerAndSink) * scale)
    }

    var total: Double { own + broker + producerAndSink }

    var summary: String { String(format: "own %5.1f   broker %6.1f   producer and sink %5.1f   all %6.1f µs", own, broker, producerAndSink, total) }

    var json: [String: Double] { ["own_us": own, "broker_us": broker, "producer_and_sink_us": producerAndSink] }

    /// User and system time of a process (/proc/PID/stat fields 14 and 15, in clock ticks).
    static func processSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let afterName = stat.range(of: ")", options: .backwards)?.upperBound
        else { return nil }
        let fields = stat[afterName...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Every RabbitMQ node on the machine, by process (an idle one uses a few ms a second).
    static func brokerProcessSeconds() -> [Int32: Double] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap(Int32.init) ?? []
        var seconds: [Int32: Double] = [:]
        for pid in pids {
            let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if name == "beam.smp", let used = processSeconds(pid) { seconds[pid] = used }
        }
        return seconds
    }

    /// The calling thread's CPU time.
    static func threadSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
