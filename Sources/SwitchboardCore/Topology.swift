/// The contract's queue and exchange names under a prefix: what the service declares and
/// consumes, and what bots, consoles and tools publish to or bind. Declaring them is the
/// service's job (SwitchboardService); naming them is everyone's.
///
/// `requests` and `control` each name a queue and a fanout exchange bound to it. Publishing to
/// the exchange needs write permission on that name alone, so a broker user can be confined to
/// one queue; the default exchange (routing key = queue name) works too, for users allowed it.
public struct Topology: Sendable, Equatable {
    public let prefix: String
    public var requests: String { "\(prefix).requests" }
    public var control: String { "\(prefix).control" }
    public var events: String { "\(prefix).events" }
    public var dead: String { "\(prefix).dead" }
    public var deadQueue: String { "\(prefix).requests.dead" }
    /// Durable exchange whose `alternate-exchange` argument holds the `store_id` of the one
    /// database this prefix belongs to (the broker compares that argument on redeclaration).
    public var owner: String { "\(prefix).owner" }
    /// Exclusive queue held by the active instance's consuming connection: whoever declares
    /// it consumes; the broker deletes it when that connection goes, and a standby takes over.
    public var activeLock: String { "\(prefix).active" }

    public init(prefix: String) { self.prefix = prefix }
}
