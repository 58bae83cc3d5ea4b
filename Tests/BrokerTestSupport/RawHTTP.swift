import Foundation
import Synchronization

/// A plain HTTP/1.1 exchange over a socket of its own on 127.0.0.1: tests send any bytes they
/// like (oversized headers, garbage) and read what comes back; the bench scrapes with it.
public struct RawHTTP: Sendable {
    public let port: Int

    public init(port: Int) { self.port = port }

    public struct Answer: Sendable {
        public var status: Int
        public var headers: String
        public var body: String
    }

    /// Sends `bytes` and reads until the server closes, `timeout` passes with nothing read, or
    /// `keepReading` (told each chunk's size) says no; nil status when the server closed
    /// without an answer.
    public func exchange(_ bytes: [UInt8], timeout: Duration = .seconds(5),
                         keepReading: (Int) -> Bool = { _ in true }) throws -> (status: Int?, text: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXFailure(what: "socket") }
        defer { close(fd) }
        var address = Self.loopback(port: port)
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
            if !keepReading(n) { break }
            if received.count > 4_000_000 { break }
        }
        let text = String(decoding: received, as: UTF8.self)
        let status = text.hasPrefix("HTTP/1.1 ") ? Int(text.dropFirst(9).prefix(3)) : nil
        return (status, text)
    }

    /// A GET with optional headers, closing after the answer.
    public func get(_ path: String, headers: [String: String] = [:]) throws -> Answer {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        let (status, text) = try exchange(Array((request + "\r\n").utf8))
        let parts = text.components(separatedBy: "\r\n\r\n")
        var body = parts.dropFirst().joined(separator: "\r\n\r\n")
        if parts.first?.lowercased().contains("transfer-encoding: chunked") == true { body = Self.unchunked(body) }
        return Answer(status: status ?? 0, headers: parts.first ?? "", body: body)
    }

    public static func unchunked(_ text: String) -> String {
        var rest = Substring(text), out = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let bytes = Array(rest[start...].utf8)
            out += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        return out
    }

    public struct POSIXFailure: Error { public let what: String }

    /// A port on 127.0.0.1 nobody listens on now: bound as port 0, read back, let go.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length); return getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A port on 127.0.0.1 for a child process to listen on, that the test knows before the
    /// child starts. From 10000 to 19999: below Linux's ephemeral range (32768 up), so none of
    /// the suite's many outgoing connections takes it between this check and the child's bind;
    /// below the brokers' distribution ports (25672 up), which a restarted node must get back;
    /// another on each call in a process; checked free by binding it.
    public static func listenPort() -> Int {
        for _ in 0..<2_000 {
            let port = nextListenPort.add(1, ordering: .relaxed).newValue
            let candidate = 10_000 + (Int(getpid()) &* 7 &+ port) % 10_000
            if canBind(candidate) { return candidate }
        }
        return freePort()
    }

    private static let nextListenPort = Atomic<Int>(0)

    private static func canBind(_ port: Int) -> Bool { onLoopback(port, bind) == 0 }

    /// A socket listening on 127.0.0.1:`port` until it is closed: a port taken for a test.
    public static func holdListening(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 1) == 0 else {
            close(fd)
            throw POSIXFailure(what: "listen on 127.0.0.1:\(port)")
        }
        return fd
    }

    /// Whether something accepts connections on this port of 127.0.0.1.
    public static func listens(_ port: Int) -> Bool { onLoopback(port, connect) == 0 }

    /// `call` (bind or connect) on a new socket with 127.0.0.1:`port`, the socket then closed.
    private static func onLoopback(_ port: Int, _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

