import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwitchboardCore

/// One unit of work for the single writer: an intake message or a control command.
public enum WorkItem: Sendable {
    case intake(IntakeMessage, messageId: String?)
    /// A command; with a message id, a change it makes happens once however often it comes.
    /// Without a sender it comes from inside the process (a test, a tool) and is trusted.
    case command(Command, messageId: String? = nil, sender: CommandSender? = nil)
    /// A command off the control queue that did not parse: answered with its error, and
    /// recorded in the audit trail when it names a change.
    case invalidCommand(name: String?, CommandError, messageId: String?, sender: CommandSender)
}

extension WorkItem {
    /// A command as it came off the control queue, parsed or not, from the broker user named
    /// in its `user_id`.
    public static func control(_ message: Command.Message, messageId: String?, user: String?, via: CommandDoor = .amqp) -> WorkItem {
        let sender = CommandSender(user: user, args: message.args, via: via)
        return switch message.command {
        case let .success(command): .command(command, messageId: messageId, sender: sender)
        case let .failure(error): .invalidCommand(name: message.name, error, messageId: messageId, sender: sender)
        }
    }

    /// The command's name as sent, for logs; nil for intake or a command that named none.
    public var commandName: String? {
        switch self {
        case .intake: nil
        case let .command(command, _, _): command.name
        case let .invalidCommand(name, _, _, _): name
        }
    }
}

/// Who sent a command off the control queue, and its arguments as sent: the access rule and
/// the audit trail read them.
public struct CommandSender: Sendable {
    /// The message's AMQP `user_id`, which the broker vouches for, or the HTTP API token's user.
    public var user: String?
    public var args: JSONValue?
    public var via: CommandDoor

    public init(user: String?, args: JSONValue?, via: CommandDoor = .amqp) {
        self.user = user
        self.args = args
        self.via = via
    }
}

public enum IntakeOutcome: Sendable, Equatable {
    case assigned(requestId: Int64, operatorId: Int64)
    /// On offer to the operator (the request's source makes offers).
    case offered(requestId: Int64, operatorId: Int64)
    case waiting(requestId: Int64)
    /// The message id was processed before; nothing was created.
    case duplicate(requestId: Int64)
    case rejected(IntakeRejection)

    /// The request stored, new or made before; none when refused.
    public var requestId: Int64? {
        switch self {
        case let .assigned(id, _), let .offered(id, _), let .waiting(id), let .duplicate(id): id
        case .rejected: nil
        }
    }
}

public enum WorkResult: Sendable, Equatable {
    case intake(IntakeOutcome)
    case command(Result<CommandResult, CommandError>)
    /// The command's message id was processed before: nothing ran again, and this is the
    /// reply it got then.
    case repeatedCommand(reply: [UInt8])
}

/// What one write transaction did: a result per item, in order, and the events it wrote to
/// the outbox, in the order they happened.
public struct Applied: Sendable {
    public var results: [WorkResult]
    public var events: [OutboxEvent]
    public var figures = BatchFigures()
    /// The requests intake made in this batch, by id, as made: the HTTP API answers with
    /// them, where reading each back cost a fifth of its intake throughput (measured).
    public var made: [Int64: Request] = [:]
}

/// Switchboard's durable state, in a SQLite file or a PostgreSQL database (``StoreLocation``).
///
/// Every change a delivery causes happens in ``apply(_:)``: one write transaction for a whole
/// batch, with a savepoint per item so one bad command undoes only itself. The writer's
/// housekeeping (forgetting message ids, retention rounds, settling the outbox, giving pages
/// back) runs between batches, each in a short transaction of its own. The type is not `Sendable`: it
/// has one owner, the service's single writer loop, which also keeps the random source.
public final class SwitchboardStore {
    let backend: any StoreBackend
    public let location: StoreLocation
    /// The database's identity, made with it (a lowercase UUID).
    public let storeId: String
    /// This opening's writer epoch: one more than the last writer's, recorded with every
    /// request this store creates.
    public let writerEpoch: Int64
    var random: SplitMix64
    let now: () -> Timestamp
    let makeEventId: () -> String
    let openedAt = ContinuousClock.now
    /// nil until first needed, and again after anything that may have changed operators or
    /// weights behind its back (a command, a failed transaction).
    var routing: RoutingTable?
    /// The parts of the waiting line that may hold requests.
    var line = LineParts()
    var counters = PendingCounters()
    /// The earliest offer deadline, as far as the writer knows.
    var deadlines = DeadlineWatch()
    /// Whether each source with working hours is open, and its next opening or closing.
    var openings = SourceOpenings()
    /// When an operator who lets offers expire is set away.
    let missedOffers: MissedOffers
    /// Who may run which command; open unless roles are set.
    let access: AccessPolicy
    /// Users seen lately, by identifier. Users are only ever created by intake, so an entry
    /// stays right unless its transaction fails, and then the whole cache goes.
    var userIds: [String: Int64] = [:]
    /// What the batch being written looked up for its intake, up front.
    var lookups = IntakeLookups()
    /// Where purged requests are archived.
    let archive: ArchiveFiles
    /// The figures of the transaction being written (moved into its ``Applied``).
    var figures = BatchFigures()
    /// The next event's `sequence`, and how far the database has reserved them.
    var sequences: EventSequence
    static let userCacheLimit = 50_000
    public static let version = "0.1.0"

    public convenience init(
        path: String, random: SplitMix64 = SplitMix64(), now: @escaping () -> Timestamp = Timestamp.now,
        makeEventId: (() -> String)? = nil, awayAfterMissed: Int = 3, access: AccessPolicy = .open, archiveDirectory: String? = nil
    ) throws {
        try self.init(location: .file(path: path), random: random, now: now, makeEventId: makeEventId, awayAfterMissed: awayAfterMissed,
                      access: access, archiveDirectory: archiveDirectory)
    }

    /// Opens the store for writing: throws ``StoreError`` with ``StoreError/isHeldElsewhere``
    /// while another process writes the same database.
    public init(
        location: StoreLocation, random: SplitMix64 = SplitMix64(), now: @escaping () -> Timestamp = Timestamp.now,
        makeEventId: (() -> String)? = nil, awayAfterMissed: Int = 3, access: AccessPolicy = .open, archiveDirectory: String? = nil,
        scratch: Bool = false
    ) throws {
        self.location = location
        self.missedOffers = MissedOffers(limit: awayAfterMissed)
        self.access = access
        // `scratch`: the what-if replay's own file, not flushed at commits (SQLite only).
        let backend: any StoreBackend = switch location {
        case let .file(path): try SQLiteBackend(path: path, flushed: !scratch)
        case let .postgres(url): try PostgresBackend(url: url)
        }
        self.backend = backend
        self.random = random
        self.now = now
        var eventIds = EventIds()
        self.makeEventId = makeEventId ?? { eventIds.next() }
        let archive = try ArchiveFiles(directory: archiveDirectory ?? Self.defaultArchiveDirectory(for: location))
        try backend.read { try archive.recover($0) }
        self.archive = archive
        storeId = try backend.read { try String.fetchOne($0, sql: "SELECT store_id FROM store_identity") } ?? ""
        sequences = try backend.read { try EventSequence.load($0) }
        let holder = "pid \(getpid())"
        writerEpoch = try backend.transaction { db in
            try Int64.fetchOne(db, sql: """
                INSERT INTO writer_epochs (epoch, holder, started_at)
                SELECT COALESCE(MAX(epoch), 0) + 1, ?, ? FROM writer_epochs RETURNING epoch
                """, arguments: [holder, Timestamp.now().milliseconds])
        } ?? 0
    }

    /// Applies a batch in one transaction and returns what each item did. Throws only when
    /// the database itself fails, and then nothing of the batch was written.
    ///
    /// `settling` says what became of events published since the last batch; it is written in
    /// this same transaction, which saves a commit of its own.
    public func apply(_ items: [WorkItem], settling settlement: OutboxSettlement = OutboxSettlement()) throws -> Applied {
        do {
            defer { commitsSinceCheckpoint += 1 }
            return try write(items, settling: settlement)
        } catch {
            routing = nil
            line.forget()
            counters = PendingCounters()
            deadlines = DeadlineWatch()
            userIds.removeAll()
            sequences.transactionFailed()
            throw error
        }
    }

    private func write(_ items: [WorkItem], settling settlement: OutboxSettlement) throws -> Applied {
        try transaction { db in
            try Self.settle(settlement, db)
            figures = BatchFigures()
            var applied = Applied(results: [], events: [])
            // Deadlines that passed before the batch are handled before it: an accept in the
            // batch finds an offer whose time is up already expired, as the operator's clock says.
            try handleDueDeadlines(db, events: &applied.events)
            lookups = try IntakeLookups(items, known: &userIds, db)
            defer { lookups = IntakeLookups() }
            applied.results.reserveCapacity(items.count)
            for item in items {
                switch item {
                case let .intake(message, messageId):
                    applied.results.append(.intake(try intake(message, messageId: messageId, db, events: &applied.events, made: &applied.made)))
                case let .command(command, messageId, sender):
                    if command.needsCountersWritten { try counters.flush(db) }
                    applied.results.append(try executeOnce(command.name, .success(command), messageId: messageId, sender: sender, db,
                                                           events: &applied.events))
                case let .invalidCommand(name, error, messageId, sender):
                    applied.results.append(try executeOnce(name, .failure(error), messageId: messageId, sender: sender, db,
                                                           events: &applied.events))
                }
            }
            try counters.flush(db)
            try sequences.reserveTaken(db)
            // The wall clock, not the injected one: the row's time is bookkeeping only, and
            // reading the injected clock here would make batching change the request times.
            try Self.writeOutbox(&applied.events, db, now: .now())
            applied.figures = figures
            return applied
        }
    }

    /// Runs a command once per message id: a repeat of a change gets the first reply. A
    /// sender outside the roles is refused. A change, and every refusal, leaves one audit row
    /// in this same transaction, whatever its outcome: no effect without its row, no row
    /// without its effect.
    func executeOnce(_ name: String?, _ parsed: Result<Command, CommandError>, messageId: String?, sender: CommandSender?,
                     _ db: any SQLDatabase, events: inout [OutboxEvent]) throws -> WorkResult {
        let isChange = CommandName.isChange(named: name)
        let refusal = sender.flatMap { access.refusal(of: name, by: $0.user) }
        // Changes and refusals are audited, so they are kept by message id: a repeat is
        // answered from the first reply and leaves no second row. A read runs again.
        let kept = isChange || refusal != nil ? messageId.map { (id: $0, key: MessageKey.of($0)) } : nil
        if let kept, let reply = try [UInt8].fetchOne(
            db, sql: "SELECT reply FROM processed_commands WHERE message_key = ? AND message_id = ?", arguments: [kept.key, kept.id])
        {
            return .repeatedCommand(reply: reply)
        }
        let outcome: Result<CommandResult, CommandError>
        if let refusal {
            outcome = .failure(refusal)
        } else {
            switch parsed {
            case let .success(command):
                let settings = try Self.settingsBefore(command, db)
                outcome = try execute(command, db, events: &events)
                if case .success = outcome, let settings { try recordSettingChange(settings, db) }
            case let .failure(error): outcome = .failure(error)
            }
        }
        if isChange || refusal != nil { try recordAudit(name, outcome, messageId: messageId, sender: sender, db) }
        if let kept {
            try db.write(sql: "INSERT INTO processed_commands (message_key, message_id, reply, processed_at) VALUES (?, ?, ?, ?)",
                           arguments: [kept.key, kept.id, Reply(outcome).jsonBytes(), now().milliseconds])
        }
        return .command(outcome)
    }

    /// Runs one command in a savepoint: a ``CommandError`` rolls back exactly its changes.
    func execute(_ command: Command, _ db: any SQLDatabase, events: inout [OutboxEvent]) throws -> Result<CommandResult, CommandError> {
        var produced: [OutboxEvent] = []
        var result: CommandResult?
        // Commands that change operators, sources or weights do it with SQL and may roll
        // back: drop the table before (so drains read the command's changes) and after (so a
        // rollback is seen). Request commands adjust loads in the table as they go; one that
        // fails may have adjusted some before its savepoint rolled back, so the table goes then.
        if command.reshapesRouting { routing = nil }
        defer { if command.reshapesRouting { routing = nil } }
        let waitsBefore = figures.assignmentWaits.count
        do {
            try db.inSavepoint {
                result = try run(command, db, events: &produced)
                return true
            }
        } catch let error as CommandError {
            routing = nil
            line.forget()
            figures.assignmentWaits.removeSubrange(waitsBefore...)
            return .failure(error)
        }
        events += produced
        return .success(result!)
    }

    /// `archive/` beside a database file; `./data/archive` for a database on a server.
    public static func defaultArchiveDirectory(for location: StoreLocation) -> String {
        switch location {
        case let .file(path): URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("archive").path
        case .postgres: "./data/archive"
        }
    }

    // Conveniences for tests, tools and benchmarks: one item, one transaction.

    public func execute(_ command: Command) throws -> (Result<CommandResult, CommandError>, [OutboxEvent]) {
        let applied = try apply([.command(command)])
        guard case let .command(result) = applied.results[0] else { fatalError("one command in, one result out") }
        return (result, applied.events)
    }

    public func intake(_ message: IntakeMessage, messageId: String? = nil) throws -> (IntakeOutcome, [OutboxEvent]) {
        let applied = try apply([.intake(message, messageId: messageId)])
        guard case let .intake(outcome) = applied.results[0] else { fatalError("one intake in, one result out") }
        return (outcome, applied.events)
    }

    /// Commits since the last ``checkpoint()``: how much the write-ahead log has grown.
    public internal(set) var commitsSinceCheckpoint = 0

    /// Copies the write-ahead log into the database file (PASSIVE: it never waits on
    /// readers). Call it when no message is waiting, so that no message waits on it. The
    /// count starts again even when it fails: a full disk must not make every turn retry it.
    public func checkpoint() throws {
        defer { commitsSinceCheckpoint = 0 }
        try backend.checkpoint()
    }

    /// Call at least once a second, busy or idle: on PostgreSQL this is what tells standby
    /// instances that the writer is alive (see ``PostgresBackend``).
    public func keepAlive() throws {
        try backend.keepAlive()
    }

    /// Writes one page and commits it, durably: throws when the database cannot take a
    /// write (a full disk, a read-only file), which readiness must know before traffic.
    public func probeWrite() throws {
        try transaction { db in try db.execute(sql: "UPDATE store_identity SET store_id = store_id") }
    }

    /// Reads outside the writer's transaction (the outbox on start, the deadline and
    /// routing-table checks, tests): on SQLite a fresh snapshot on a reader connection.
    public func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try backend.read(body)
    }

    /// One transaction on the writer's connection: committed when `body` returns, rolled
    /// back when it throws.
    @discardableResult
    func transaction<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try backend.transaction(body)
    }
}
