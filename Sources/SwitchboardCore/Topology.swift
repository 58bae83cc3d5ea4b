/// The contract's queue and exchange names under a prefix: what the service declares and
/// consumes, and what bots, consoles and tools publish to or bind. Declaring them is the
/// service's job (SwitchboardService); naming them is everyone's.
public struct Topology: Sendable, Equatable {
    public let prefix: String
    public var requests: String { "\(prefix).requests" }
    public var control: String { "\(prefix).control" }
    public var events: String { "\(prefix).events" }
    public var dead: String { "\(prefix).dead" }
    public var deadQueue: String { "\(prefix).requests.dead" }

    public init(prefix: String) { self.prefix = prefix }
}
