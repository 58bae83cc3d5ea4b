import Foundation
import Testing

/// A plain HTTP/1.1 exchange over a socket of its own on 127.0.0.1: the tests send any bytes
/// they like (oversized headers, garbage) and read what comes back, whatever it is.
struct RawHTTP {
    let port: Int

    struct Answer {
        var status: Int
        var headers: String
        var body: String
    }

    /// Sends `bytes` and reads until the server closes or `timeout` passes; nil status when
    /// the server closed without an answer.
    func exchange(_ bytes: [UInt8], timeout: Duration = .seconds(5)) throws -> (status: Int?, text: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXFailure(what: "socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXFailure(what: "connect to 127.0.0.1:\(port)") }
        var seconds = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may refuse to read the rest; what it answers counts
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            received += chunk[..<n]
            if received.count > 4_000_000 { break }
        }
        let text = String(decoding: received, as: UTF8.self)
        let status = text.hasPrefix("HTTP/1.1 ") ? Int(text.dropFirst(9).prefix(3)) : nil
        return (status, text)
    }

    /// A GET with optional headers, closing after the answer.
    func get(_ path: String, headers: [String: String] = [:]) throws -> Answer {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        let (status, text) = try exchange(Array((request + "\r\n").utf8))
        let parts = text.components(separatedBy: "\r\n\r\n")
        var body = parts.dropFirst().joined(separator: "\r\n\r\n")
        if parts.first?.lowercased().contains("transfer-encoding: chunked") == true { body = Self.unchunked(body) }
        return Answer(status: status ?? 0, headers: parts.first ?? "", body: body)
    }

    static func unchunked(_ text: String) -> String {
        var rest = Substring(text), out = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let bytes = Array(rest[start...].utf8)
            out += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        return out
    }

    struct POSIXFailure: Error { let what: String }
}

extension ServiceProcess {
    /// The port the service's HTTP side listens on, from its log line.
    func httpPort(timeout: Duration = .seconds(30)) -> Int? {
        guard waitForOutput(containing: "HTTP listening", timeout: timeout) else { return nil }
        let line = output.split(separator: "\n").first { $0.contains("HTTP listening") } ?? ""
        guard let range = line.range(of: "address=127.0.0.1:") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
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
}
