import SwitchboardCore

/// The distribution's view of operators, sources and weights, held in memory by the single
/// writer so that routing a request costs no query even with ten thousand operators.
///
/// Only the writer changes these, so the table is exact as long as every change goes
/// through it: intake, assignments and offers update loads in place; commands, which may
/// roll back, drop the table, and it is read again from the database on next use.
struct RoutingTable: Equatable {
    struct OperatorState: Equatable {
        var id: Int64
        var name: String
        var availability: OperatorAvailability
        var skills: Skills
        /// By channel index; nil when the operator names no capacity at all (the common case,
        /// which then costs nothing per pick).
        var capacity: [Int?]?
        /// By channel index; kept only while some operator names a capacity.
        var channelLoad: [Int]
        /// When routing last gave it a request (offer or assignment); nil: never.
        var lastAssignedAt: Int64?

        func capacity(on channel: Int) -> Int? { capacity.flatMap { channel < $0.count ? $0[channel] : nil } }
        func load(on channel: Int) -> Int { channel < channelLoad.count ? channelLoad[channel] : 0 }
    }

    /// An operator's weight for a source, by the operator's slot in `operators`.
    struct WeightedSlot: Equatable {
        var slot: Int
        var weight: Int
    }

    struct SourceState: Equatable {
        var identifier: String
        var offerTimeoutSeconds: Int
        var maxWaitSeconds: Int
        var overflow: Bool
        var stickySeconds: Int
        var channel = 0
        var strategy = Strategy.weighted
        var requires: [Requirement] = []
        var wrapUpSeconds = 0
        var hours: WorkingHours?
        var weights: [WeightedSlot] = []
        /// The weight of each slot (0: none), for requests whose candidates come from skills.
        var weightOfSlot: [Int] = []
    }

    private(set) var operators: [OperatorState] = []
    private var slotOf: [Int64: Int] = [:]
    private var sources: [Int64: SourceState] = [:]
    private var sourceIds: [String: Int64] = [:]
    private(set) var channels: [String: Int] = [defaultChannel: 0]
    /// Skill → by level (index level − 1) the operators at that level or above.
    private(set) var holders: [String: [SlotSet]] = [:]
    /// Whether any operator names a capacity: only then are loads counted per channel.
    private(set) var tracksChannels = false

    static func load(_ db: any SQLDatabase) throws -> RoutingTable {
        var table = RoutingTable()
        for row in try SQLRow.fetchAll(db, sql: "SELECT channel FROM sources ORDER BY id") {
            table.intern(channel: row[0])
        }
        var capacities: [[String: Int]] = []
        for row in try SQLRow.fetchAll(db, sql: """
            SELECT id, name, is_active, presence, current_load, max_load_limit, skills, capacity, last_assigned_at
            FROM operators ORDER BY id
            """) {
            table.slotOf[row[0]] = table.operators.count
            let capacity = CompetencyColumns.levels(row[7])
            for channel in capacity.keys.sorted() { table.intern(channel: channel) }
            capacities.append(capacity)
            table.operators.append(OperatorState(
                id: row[0], name: row[1],
                availability: OperatorAvailability(isActive: row[2], presence: Presence(rawValue: row[3]) ?? .available,
                                                   load: row[4], limit: row[5]),
                skills: CompetencyColumns.levels(row[6]), capacity: nil, channelLoad: [], lastAssignedAt: row[8]))
        }
        table.tracksChannels = capacities.contains { !$0.isEmpty }
        for slot in table.operators.indices where !capacities[slot].isEmpty {
            var byChannel = [Int?](repeating: nil, count: table.channels.count)
            for (channel, cap) in capacities[slot] { byChannel[table.channels[channel]!] = cap }
            table.operators[slot].capacity = byChannel
        }
        for row in try SQLRow.fetchAll(db, sql: """
            SELECT id, identifier, offer_timeout_seconds, max_wait_seconds, overflow, sticky_seconds, channel, strategy, requires,
                   wrap_up_seconds, hours
            FROM sources
            """) {
            table.sources[row[0]] = SourceState(
                identifier: row[1], offerTimeoutSeconds: row[2], maxWaitSeconds: row[3], overflow: row[4], stickySeconds: row[5],
                channel: table.channels[row[6] as String] ?? 0, strategy: Strategy(rawValue: row[7]) ?? .weighted,
                requires: CompetencyColumns.requirements(row[8]), wrapUpSeconds: row[9],
                hours: HoursColumn.hours(row[10]),
                weightOfSlot: [Int](repeating: 0, count: table.operators.count))
            table.sourceIds[row[1]] = row[0]
        }
        for row in try SQLRow.fetchAll(db, sql: "SELECT source_id, operator_id, weight FROM weights ORDER BY source_id, operator_id") {
            guard let slot = table.slotOf[row[1]] else { continue }
            table.sources[row[0]]?.weights.append(WeightedSlot(slot: slot, weight: row[2]))
            table.sources[row[0]]?.weightOfSlot[slot] = row[2]
        }
        try table.loadChannelLoads(db)
        table.indexSkills()
        return table
    }

    /// The working hours of the sources that have them.
    var hoursBySource: [Int64: WorkingHours] { sources.compactMapValues(\.hours) }

    private mutating func intern(channel: String) {
        if channels[channel] == nil { channels[channel] = channels.count }
    }

    /// Loads by channel, counted only when some capacity makes them matter.
    private mutating func loadChannelLoads(_ db: any SQLDatabase) throws {
        for slot in operators.indices { operators[slot].channelLoad = [Int](repeating: 0, count: tracksChannels ? channels.count : 0) }
        guard tracksChannels else { return }
        for held in Records.slotHolding {
            for row in try SQLRow.fetchAll(db, sql: """
                SELECT r.operator_id, r.source_id, COUNT(*) FROM requests r WHERE \(held) GROUP BY r.operator_id, r.source_id
                """) {
                guard let slot = slotOf[row[0]], let channel = sources[row[1]]?.channel else { continue }
                operators[slot].channelLoad[channel] += row[2]
            }
        }
    }

    private mutating func indexSkills() {
        for (slot, state) in operators.enumerated() {
            for (skill, level) in state.skills {
                if holders[skill] == nil {
                    holders[skill] = [SlotSet](repeating: SlotSet(capacity: operators.count), count: Limits.skillLevel.upperBound)
                }
                for atLeast in 0..<min(level, Limits.skillLevel.upperBound) { holders[skill]![atLeast].insert(slot) }
            }
        }
    }

    /// The source's id and identifier, or nil if no source matches.
    func resolve(_ reference: SourceReference) -> (id: Int64, identifier: String)? {
        switch reference {
        case let .id(id): sources[id].map { (id, $0.identifier) }
        case let .identifier(identifier): sourceIds[identifier].map { ($0, identifier) }
        }
    }

    /// A source's routing settings and weights, or nil if no source has the id.
    func source(_ sourceId: Int64) -> SourceState? { sources[sourceId] }

    func slot(of operatorId: Int64) -> Int? { slotOf[operatorId] }

    /// The operators with `requirement`'s skill at its level or above; nil when nobody has it.
    func holders(of requirement: Requirement) -> SlotSet? {
        guard Limits.skillLevel.contains(requirement.minLevel), let levels = holders[requirement.skill] else { return nil }
        let set = levels[requirement.minLevel - 1]
        return set.isEmpty ? nil : set
    }

    /// The skills of `requirements` no operator at all has at the level required, whatever
    /// their presence, activity or load (a request needing them waits for someone to learn
    /// them); nil when every one is held, as `request.waiting`'s `unmatched` is then absent.
    func unmatched(_ requirements: [Requirement]) -> [String]? {
        let missing = requirements.filter { holders(of: $0) == nil }.map(\.skill)
        return missing.isEmpty ? nil : missing
    }

    mutating func adjustLoad(of operatorId: Int64, by delta: Int, source sourceId: Int64) {
        guard let slot = slotOf[operatorId] else { return }
        operators[slot].availability.load += delta
        if tracksChannels, let channel = sources[sourceId]?.channel { operators[slot].channelLoad[channel] += delta }
    }

    mutating func noteAssigned(_ operatorId: Int64, at time: Int64) {
        if let slot = slotOf[operatorId] { operators[slot].lastAssignedAt = time }
    }

    mutating func setPresence(of operatorId: Int64, _ presence: Presence) {
        if let slot = slotOf[operatorId] { operators[slot].availability.presence = presence }
    }

    func name(of operatorId: Int64) -> String? {
        slotOf[operatorId].map { operators[$0].name }
    }

    /// Room for one more request of the channel, skills and weights aside. Reads the fields
    /// in place: copying an operator's state (its skills, its capacities) for every candidate
    /// of every pick cost a third of intake on a floor of 10,000.
    @inline(__always)
    func hasRoom(_ slot: Int, on channel: Int) -> Bool {
        guard operators[slot].availability.canTakeMore else { return false }
        guard operators[slot].capacity != nil else { return true }
        return operators[slot].availability.hasRoom(channelLoad: operators[slot].load(on: channel),
                                                     channelCapacity: operators[slot].capacity(on: channel))
    }

    var anyoneHasRoom: Bool {
        operators.contains { $0.availability.canTakeMore }
    }
}

extension SwitchboardStore {
    func routingTable(_ db: any SQLDatabase) throws -> RoutingTable {
        if let routing { return routing }
        let loaded = try RoutingTable.load(db)
        routing = loaded
        openings.sync(with: loaded.hoursBySource)
        // The clock is read only for sources with hours not seen yet.
        if openings.needsTime { openings.fill(at: now().milliseconds) }
        return loaded
    }

    /// Whether the table kept in memory says what the database says (tests check it after
    /// every step: a drift would route by loads that are not there).
    func routingTableMatchesDatabase() throws -> Bool {
        guard let routing else { return true }
        return try read { try RoutingTable.load($0) } == routing
    }
}
