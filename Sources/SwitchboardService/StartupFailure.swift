import Foundation
import SwitchboardStore

/// Why the service stopped for good: what failed, where, the variable that sets it, and a
/// way on, with the exit status a supervisor can tell apart.
public struct ServiceFailure: Error, CustomStringConvertible, Sendable {
    /// sysexits' statuses: a setting to change (78, EX_CONFIG) is not a crash to restart from.
    public enum Kind: Int32, Sendable {
        case configuration = 78
        case software = 70
    }

    public var description: String
    public var kind: Kind

    public init(_ description: String, kind: Kind) {
        self.description = description
        self.kind = kind
    }

    public var exitStatus: Int32 { kind.rawValue }

    public init(_ error: ConfigurationError) {
        self.init(error.description, kind: .configuration)
    }

    /// The HTTP side cannot listen on its address.
    public static func cannotListen(on address: HTTPAddress, errno code: Int32) -> ServiceFailure {
        let why = switch code {
        case EADDRINUSE: "address already in use"
        case EACCES: "permission denied (ports below 1024 need privileges)"
        case EADDRNOTAVAIL: "no interface of this machine has that address"
        default: String(cString: strerror(code))
        }
        return ServiceFailure(
            "cannot listen on \(address) (\(ConfigurationVariable.http.name)): \(why) — "
                + "set \(ConfigurationVariable.http.name) to another address, or off", kind: .configuration)
    }

    /// The store cannot be opened where SWITCHBOARD_DB says.
    public static func cannotOpenStore(_ location: StoreLocation, error: any Error) -> ServiceFailure {
        let variable = ConfigurationVariable.db.name
        if case let .file(path) = location {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                return ServiceFailure(
                    "cannot open the database \(path) (\(variable)): it is a folder — set \(variable) to a file path, "
                        + "such as \((path as NSString).appendingPathComponent("switchboard.sqlite"))", kind: .configuration)
            }
            return ServiceFailure(
                "cannot open the database \(path) (\(variable)): \(error) — check that its folder exists and this user may "
                    + "write there, or set \(variable) to another path", kind: .configuration)
        }
        return ServiceFailure(
            "cannot open the database \(location) (\(variable)): \(error) — check the URL, the user and its rights, "
                + "or set \(variable) to another database", kind: .configuration)
    }
}
