import Foundation

/// One HTTP/1.1 connection to 127.0.0.1 kept open across calls, as a webhook sender or a CRM
/// keeps it: the bench's intake clients (one per thread) and the slow-client tests, which
/// send a call's bytes in pieces. Reads answers delimited by `Content-Length`, which every
/// API answer has.
public final class KeepAliveHTTP {
    public let port: Int
    private let fd: Int32
    private var buffered: [UInt8] = []

    public init(port: Int, timeout: Duration = .seconds(20)) throws {
        self.port = port
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTP.POSIXFailure(what: "socket") }
        var address = RawHTTP.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw RawHTTP.POSIXFailure(what: "connect to 127.0.0.1:\(port)")
        }
        var seconds = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// A call's bytes: the request line, the headers, and the body with its length.
    public static func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        return Array((text + "\r\n" + (body ?? "")).utf8)
    }

    /// Sends a call and reads its answer on the same connection.
    public func call(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) throws -> (status: Int, body: [UInt8]) {
        try send(Self.request(method, path, body: body, headers: headers))
        return try answer()
    }

    /// Writes bytes as they are: part of a call, or several calls pipelined.
    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RawHTTP.POSIXFailure(what: "send to 127.0.0.1:\(port)") }
            sent += n
        }
    }

    /// Reads one answer: its status and its body.
    public func answer() throws -> (status: Int, body: [UInt8]) {
        let headEnd = try readUntil { Self.find([13, 10, 13, 10], in: $0) }
        let head = String(decoding: buffered[..<headEnd], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 "), let status = Int(head.dropFirst(9).prefix(3)) else {
            throw RawHTTP.POSIXFailure(what: "read an HTTP answer (got '\(head.prefix(40))')")
        }
        let length = head.split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        let end = try readUntil { $0.count >= headEnd + 4 + length ? headEnd + 4 + length : nil }
        let body = Array(buffered[(headEnd + 4)..<end])
        buffered.removeFirst(end)
        return (status, body)
    }

    /// Whether the server has closed this connection (a read finds its end).
    public func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0
    }

    private func readUntil(_ complete: ([UInt8]) -> Int?) throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        for _ in 0..<10_000 {
            if let end = complete(buffered) { return end }
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw RawHTTP.POSIXFailure(what: "read from 127.0.0.1:\(port) (\(n == 0 ? "closed" : "timed out"))") }
            buffered += chunk[..<n]
        }
        throw RawHTTP.POSIXFailure(what: "read an answer of bounded size from 127.0.0.1:\(port)")
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
