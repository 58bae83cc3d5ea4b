/// The parts of an `amqp://` or `amqps://` URL, as RabbitMQ's URI spec reads them:
/// `amqp://user:password@host:port/vhost`, where an omitted vhost is `/` and `%2f` is `/`.
///
/// An `amqps://` URL may carry TLS settings as query parameters, named as RabbitMQ's own
/// clients and plugins name them: `?cacertfile=/ca.pem&certfile=/client.pem&keyfile=/client.key&verify=verify_peer`.
public struct AMQPURL: Sendable, Equatable, CustomStringConvertible {
    public var tls: Bool
    public var user: String
    public var password: String
    public var host: String
    public var port: Int
    public var vhost: String
    /// PEM file of the CAs to trust instead of the system's (`cacertfile`).
    public var caCertificateFile: String?
    /// Client certificate and its key, for brokers that ask for one (`certfile`, `keyfile`).
    public var certificateFile: String?
    public var keyFile: String?
    /// Check the broker's certificate chain and host name (`verify=verify_peer`, the
    /// default); `verify=verify_none` turns both off.
    public var verifyPeer = true

    public init(
        tls: Bool = false, user: String = "guest", password: String = "guest",
        host: String = "127.0.0.1", port: Int? = nil, vhost: String = "/"
    ) {
        self.tls = tls
        self.user = user
        self.password = password
        self.host = host
        self.port = port ?? (tls ? 5671 : 5672)
        self.vhost = vhost
    }

    public init(parsing text: String) throws(AMQPError) {
        let scheme: Bool
        var rest: Substring
        if text.hasPrefix("amqp://") {
            scheme = false
            rest = text.dropFirst("amqp://".count)
        } else if text.hasPrefix("amqps://") {
            scheme = true
            rest = text.dropFirst("amqps://".count)
        } else {
            throw .invalidURL(text, "the scheme must be amqp:// or amqps://")
        }
        var query: Substring?
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var vhost = "/"
        if let slash = rest.firstIndex(of: "/") {
            let encoded = rest[rest.index(after: slash)...]
            // RabbitMQ reads an empty path after the slash as the vhost named "" (rarely
            // wanted); no slash at all means the default vhost "/".
            guard let decoded = Self.percentDecode(encoded) else {
                throw .invalidURL(Self.redacting(text), "the vhost has a bad %-escape")
            }
            vhost = decoded
            rest = rest[..<slash]
        }
        var user = "guest", password = "guest"
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let u = Self.percentDecode(parts[0]),
                  let p = parts.count > 1 ? Self.percentDecode(parts[1]) : ""
            else { throw .invalidURL(Self.redacting(text), "the credentials have a bad %-escape") }
            user = u
            password = p
        }
        var host = String(rest)
        var port: Int?
        if host.hasPrefix("[") {  // [ipv6]:port
            guard let close = host.firstIndex(of: "]") else {
                throw .invalidURL(Self.redacting(text), "unclosed [ in host")
            }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) ?? -1 }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            port = Int(host[host.index(after: colon)...]) ?? -1
            host = String(host[..<colon])
        }
        if let port, !(1...65535).contains(port) {
            throw .invalidURL(Self.redacting(text), "the port must be a number from 1 to 65535")
        }
        self.init(tls: scheme, user: user, password: password,
                  host: host.isEmpty ? "127.0.0.1" : host, port: port, vhost: vhost)
        if let query { try readQuery(query, of: text) }
    }

    private static let queryParameters = ["cacertfile", "certfile", "keyfile", "verify"]

    private mutating func readQuery(_ query: Substring, of text: String) throws(AMQPError) {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard let value = parts.count > 1 ? Self.percentDecode(parts[1]) : "" else {
                throw .invalidURL(Self.redacting(text), "the value of \(name) has a bad %-escape")
            }
            guard Self.queryParameters.contains(name) else {
                throw .invalidURL(Self.redacting(text), "unknown query parameter \"\(name)\" (known: \(Self.queryParameters.joined(separator: ", ")))")
            }
            guard tls else {
                throw .invalidURL(Self.redacting(text), "\(name) is a TLS setting: it needs an amqps:// URL")
            }
            switch name {
            case "cacertfile": caCertificateFile = value
            case "certfile": certificateFile = value
            case "keyfile": keyFile = value
            default:
                guard value == "verify_peer" || value == "verify_none" else {
                    throw .invalidURL(Self.redacting(text), "verify must be verify_peer or verify_none, got \"\(value)\"")
                }
                verifyPeer = value == "verify_peer"
            }
        }
        if (certificateFile == nil) != (keyFile == nil) {
            throw .invalidURL(Self.redacting(text), "certfile and keyfile go together")
        }
    }

    /// The URL with the password hidden: safe for logs and error messages.
    public var description: String { text(password: "***") }

    /// The full URL, password included, to hand to another process (never to a log).
    public var unredacted: String { text(password: Self.percentEncode(password)) }

    private func text(password shown: String) -> String {
        let vhostPart = vhost == "/" ? "%2f" : Self.percentEncode(vhost)
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "amqps" : "amqp")://\(Self.percentEncode(user)):\(shown)@\(hostPart):\(port)/\(vhostPart)\(queryText)"
    }

    private var queryText: String {
        var pairs: [String] = []
        if let caCertificateFile { pairs.append("cacertfile=" + Self.percentEncode(caCertificateFile, keeping: "/")) }
        if let certificateFile { pairs.append("certfile=" + Self.percentEncode(certificateFile, keeping: "/")) }
        if let keyFile { pairs.append("keyfile=" + Self.percentEncode(keyFile, keeping: "/")) }
        if !verifyPeer { pairs.append("verify=verify_none") }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }

    /// Hides the password of a URL that may not even parse.
    public static func redacting(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text.lastIndex(of: "@"),
              at > schemeEnd.upperBound
        else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func percentEncode(_ text: String, keeping allowed: String = "") -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80, c.isLetter || c.isNumber || "-._~".contains(c) || allowed.contains(c) {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: false).leftPadded(to: 2)
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
