import BrokerTestSupport
import Foundation
import Testing

extension RawHTTP {
    /// GETs `path` until it answers `status` or the deadline passes; the last answer.
    func poll(_ path: String, until status: Int, timeout: Duration) throws -> Answer {
        var last = try get(path)
        _ = try? eventually(within: timeout, every: .milliseconds(100), "\(path) answers \(status)") { seen -> Bool? in
            last = try get(path)
            seen = "\(last.status) \(last.body)"
            return last.status == status ? true : nil
        }
        return last
    }
}

/// One sample of a Prometheus text exposition, as `name{labels} value`.
struct PrometheusSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: Double
}

/// Parses the text format strictly: every line is a comment (`# HELP`, `# TYPE`) or a
/// sample; a sample's family has a declared type. Records an issue for each bad line.
func parsePrometheus(_ text: String) -> [PrometheusSample] {
    var types: [String: String] = [:]
    var samples: [PrometheusSample] = []
    let sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/
    for line in text.split(separator: "\n") {
        if line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            #expect(parts.count == 4 && ["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[3])), "\(line)")
            if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
            continue
        }
        if line.hasPrefix("# HELP ") { continue }
        guard let match = String(line).wholeMatch(of: sampleLine) else {
            Issue.record("not a valid exposition line: \(line)")
            continue
        }
        let name = String(match.1)
        var labels: [String: String] = [:]
        if let body = match.3 {
            for pair in body.split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                #expect(kv.count == 2 && kv[1].hasPrefix("\"") && kv[1].hasSuffix("\""), "label \(pair) in \(line)")
                if kv.count == 2 { labels[String(kv[0])] = String(kv[1].dropFirst().dropLast()) }
            }
        }
        let family = ["_bucket", "_sum", "_count"].reduce(name) { $0.hasSuffix($1) && types[$0] == nil ? String($0.dropLast($1.count)) : $0 }
        #expect(types[family] != nil, "no # TYPE for \(name)")
        samples.append(PrometheusSample(name: name, labels: labels, value: Double(match.4) ?? .nan))
    }
    return samples
}

extension [PrometheusSample] {
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        first { $0.name == name && $0.labels == labels }?.value
    }

    /// The sum of a family's series, whatever their labels (nil when it has none).
    func sum(_ name: String) -> Double? {
        let series = filter { $0.name == name }
        return series.isEmpty ? nil : series.reduce(0) { $0 + $1.value }
    }
}
