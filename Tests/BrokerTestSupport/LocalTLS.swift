import Foundation

/// The local broker's TLS listener and the throwaway CA, client certificate and unrelated CA
/// that scripts/broker makes for it. Tests that need them are skipped where they are absent
/// (a broker this project's script did not start).
public enum LocalTLS {
    public static let folder = ProcessInfo.processInfo.environment["SWITCHBOARD_TLS_DIR"] ?? "/tmp/switchboard-tls"
    public static let ca = "\(folder)/ca.pem"
    public static let otherCA = "\(folder)/other-ca.pem"
    public static var isSetUp: Bool { FileManager.default.fileExists(atPath: ca) }

    /// The listener's URL as text, with TLS settings in `query`.
    public static func urlText(host: String = "localhost", port: Int = 5671, query: String) -> String {
        "amqps://guest:guest@\(host):\(port)/%2f?\(query)"
    }
}
