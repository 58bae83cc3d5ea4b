import SwitchboardCore
import SwitchboardStore

/// The replay's clock: read by the scratch store wherever the service's store reads the
/// wall clock, and moved by the driver only.
final class SimulatedClock {
    var milliseconds: Int64
    init(_ start: Timestamp) { milliseconds = start.milliseconds }
    var now: Timestamp { Timestamp(milliseconds: milliseconds) }
}

/// One run of a replay: the day's arrivals, closes, offer answers and presence changes fed,
/// in time order, to a scratch store that runs the service's own routing, with the store's
/// deadlines (offer expiry, escalation, relaxation, wrap-up, opening hours) falling due
/// between them. Single-threaded, and the same for a seed.
final class ReplayRun {
    private let day: RecordedDay
    private let store: SwitchboardStore
    private let clock: SimulatedClock
    private let floor: ReplayFloor
    private let changes: ReplayChanges
    private var queue = ReplayQueue()
    private var measures = ReplayMeasures()
    /// The models' draws (offer answers), apart from the store's own so that the routing
    /// draws the same numbers as the service did.
    private var random: SplitMix64
    /// Scratch request id → its arrival's index (-1: none), and back (0: none).
    private var arrivalOf = ByRequestId(none: -1)
    private var requestOf: [Int64]
    /// The next recorded arrival: they are in time order already, so they are taken from the
    /// day as they fall due rather than all put on the agenda (48 MB for a million).
    private var nextArrival = 0
    private var answers: [Int64: OfferAnswers] = [:]
    /// Recorded request id → its transfers' indices in the day's.
    private var transfersOf: [Int64: [Int]] = [:]
    private let usualAnswers: OfferAnswers
    /// Outbox rows of the last step, dropped with the next: no broker reads this store.
    private var published: Set<Int64> = []

    init(_ day: RecordedDay, changes: ReplayChanges, seed: UInt64, awayAfterMissed: Int, path: String) throws {
        self.day = day
        requestOf = Array(repeating: 0, count: day.arrivals.count)
        let clock = SimulatedClock(day.since)
        self.clock = clock
        store = try SwitchboardStore(location: .file(path: path), random: SplitMix64(seed: seed), now: { clock.now },
                                     makeEventId: nil, awayAfterMissed: awayAfterMissed, scratch: true)
        floor = try ReplayFloor.build(day, changes: changes, in: store)
        self.changes = changes
        // Any fixed constant: a second stream from the same seed, which the store never draws from.
        random = SplitMix64(seed: seed ^ 0x5EED_0F_0FFE45)
        usualAnswers = OfferAnswers.median(of: day.offerAnswers.values)
        for (recorded, behaviour) in day.offerAnswers {
            if let scratch = floor.scratchOperator(recorded) { answers[scratch] = behaviour }
        }
        scheduleTheRecord()
    }

    private func scheduleTheRecord() {
        for (index, transfer) in day.transfers.enumerated() { transfersOf[transfer.requestId, default: []].append(index) }
        for (index, change) in day.settingChanges.enumerated() { queue.schedule(.setting(index), at: change.at.milliseconds) }
        for change in day.presenceChanges {
            // Missed offers set an operator away in the replay by the store's own rule.
            guard change.reason != .missedOffers, let op = floor.scratchOperator(change.operatorId) else { continue }
            queue.schedule(.presence(operator: op, change.presence, requeue: change.reason == .requeue), at: change.at.milliseconds)
        }
        for (op, schedule) in floor.schedules {
            guard let schedule else { continue }
            var time = day.since
            var open = schedule.isOpen(at: time)
            for _ in 0..<10_000 {
                guard let next = schedule.nextChange(after: time), next < day.until else { break }
                open.toggle()
                queue.schedule(.presence(operator: op, open ? .available : .offline, requeue: false), at: next.milliseconds)
                time = next
            }
        }
    }

    func run() throws -> ReplayOutcome {
        let until = day.until.milliseconds
        // Every happening is a step and makes at most a few more; the bound only stops a
        // store whose deadlines would never move on.
        let mostSteps = 64 * (day.arrivals.count + day.presenceChanges.count) + 100_000
        var sameInstant = 0
        for _ in 0..<mostSteps {
            let arrivalAt = nextArrival < day.arrivals.count ? day.arrivals[nextArrival].at.milliseconds : Int64.max
            let event = min(queue.nextTime ?? .max, arrivalAt)
            if let due = try store.nextDeadline()?.milliseconds, due < until, due <= event {
                sameInstant = due <= clock.milliseconds ? sameInstant + 1 : 0
                if sameInstant > 8 { throw ReplayError.stuck(at: clock.now) }
                clock.milliseconds = max(clock.milliseconds, due)
                try step([])
                continue
            }
            guard event < until else { return try outcome() }
            sameInstant = 0
            clock.milliseconds = max(clock.milliseconds, event)
            // An arrival goes first at its instant, as when every arrival was on the agenda
            // before anything else.
            if arrivalAt == event {
                nextArrival += 1
                try happen(.arrival(nextArrival - 1))
            } else if let (_, what) = queue.next() {
                try happen(what)
            }
        }
        throw ReplayError.stuck(at: clock.now)
    }

    /// Who each recorded request went to last in this run, in the record's ids.
    var assignments: [Int64: Int64] {
        var found: [Int64: Int64] = [:]
        measures.lastAssignee.forEach { request, op in
            let arrival = arrivalOf[request]
            guard arrival >= 0, let recorded = floor.recordedOperator(op) else { return }
            found[day.arrivals[arrival].requestId] = recorded
        }
        return found
    }

    private func happen(_ what: Happening) throws {
        switch what {
        case let .arrival(index):
            let arrival = day.arrivals[index]
            guard let source = floor.scratchSource(arrival.sourceId) else { return }
            let message = IntakeMessage(userIdentifier: "user-\(arrival.userId)", source: .id(source),
                                        message: "request \(arrival.requestId)", priority: arrival.priority, requires: arrival.requires)
            let results = try step([.intake(message, messageId: nil)], arrival: index)
            if case let .intake(outcome)? = results.first, outcome.requestId != nil, let abandoned = arrival.abandonedAt {
                queue.schedule(.abandon(index), at: abandoned.milliseconds)
            }
        case let .close(request):
            try step([.command(.requestClose(id: request))])
        case let .abandon(index):
            if requestOf[index] != 0 { try step([.command(.requestClose(id: requestOf[index]))]) }
        case let .answer(request, op, accept):
            try step([.command(accept ? .requestAccept(id: request, operatorId: op) : .requestReject(id: request, operatorId: op, reason: nil))])
        case let .presence(op, presence, requeue):
            try step([.command(.operatorSetPresence(id: op, presence: presence, requeue: requeue))])
        case let .transfer(request, index):
            let transfer = day.transfers[index]
            let target: TransferTarget
            switch transfer.to {
            case let .operator(recorded):
                // A colleague the changes leave out is not there to take it: the request stays.
                guard let op = floor.scratchOperator(recorded) else { return }
                target = .operator(op)
            case .requirements: target = transfer.to
            }
            // Refused (closed by then, or the colleague full) as the service would refuse it.
            try step([.command(.requestTransfer(id: request, to: target, reason: transfer.reason))])
        case let .setting(index):
            try step(floor.commands(for: day.settingChanges[index], changes: changes).map { .command($0) })
        }
    }

    /// Applies one step at the clock's time and acts on what its events say: a first
    /// assignment starts the handle time, an offer gets its answer.
    @discardableResult
    private func step(_ items: [WorkItem], arrival: Int? = nil) throws -> [WorkResult] {
        let applied = try store.apply(items, settling: OutboxSettlement(settledRows: published.sorted()))
        published = Set(applied.events.map(\.id))
        if let arrival, case let .intake(outcome)? = applied.results.first, let request = outcome.requestId {
            arrivalOf[request] = arrival
            requestOf[arrival] = request
        }
        for event in applied.events {
            switch measures.note(event, at: clock.milliseconds) {
            case let .firstAssigned(request)?:
                let arrival = arrivalOf[request]
                guard arrival >= 0 else { continue }
                for index in transfersOf[day.arrivals[arrival].requestId] ?? [] {
                    queue.schedule(.transfer(request: request, index), at: clock.milliseconds + day.transfers[index].afterAssignmentMilliseconds)
                }
                guard let handle = day.arrivals[arrival].handleMilliseconds else { continue }
                queue.schedule(.close(request), at: clock.milliseconds + handle)
            case let .offered(request, op)?:
                switch (answers[op] ?? usualAnswers).draw(using: &random) {
                case let .accept(after): queue.schedule(.answer(request: request, operator: op, accept: true), at: clock.milliseconds + after)
                case let .reject(after): queue.schedule(.answer(request: request, operator: op, accept: false), at: clock.milliseconds + after)
                case .none: break
                }
            case nil: break
            }
        }
        return applied.results
    }

    private func outcome() throws -> ReplayOutcome {
        clock.milliseconds = max(clock.milliseconds, day.until.milliseconds)
        measures.finish(at: day.until.milliseconds)
        guard case let .serviceLevel(level) = try store.execute(.statsServiceLevel(ServiceLevelQuery(since: day.since, until: day.until))).0.get()
        else { throw ReplayError.setUp("the service level") }
        let window = Double(day.until.milliseconds - day.since.milliseconds)
        let names = Dictionary(uniqueKeysWithValues: try ReplayFloor.operators(store).map { ($0.id, $0.name) })
        let utilisation = floor.limits.keys.sorted().compactMap { op -> ReplayOutcome.Utilisation? in
            guard let recorded = floor.recordedOperator(op), let limit = floor.limits[op], window > 0 else { return nil }
            let held = Double(measures.heldMilliseconds[op] ?? 0)
            return ReplayOutcome.Utilisation(operatorId: recorded, name: names[op] ?? "", share: held / (window * Double(limit)))
        }.sorted { $0.operatorId < $1.operatorId }
        return ReplayOutcome(
            serviceLevel: recorded(level), escalations: measures.escalations, relaxations: measures.relaxations,
            stillWaiting: measures.stillWaiting,
            waitingLine: measures.waitingLine(since: day.since.milliseconds, until: day.until.milliseconds), utilisation: utilisation)
    }

    /// The scratch store's service level in the record's ids.
    private func recorded(_ level: ServiceLevel) -> ServiceLevel {
        var level = level
        level.bySource = level.bySource.map { row in
            var row = row
            row.sourceId = row.sourceId.flatMap(floor.recordedSource)
            return row
        }.sorted { ($0.sourceId ?? 0) < ($1.sourceId ?? 0) }
        level.byOperator = level.byOperator.map { row in
            var row = row
            row.operatorId = row.operatorId.flatMap(floor.recordedOperator)
            return row
        }.sorted { ($0.operatorId ?? 0) < ($1.operatorId ?? 0) }
        if var oldest = level.waiting.oldest {
            let arrival = arrivalOf[oldest.id]
            oldest.id = arrival >= 0 ? day.arrivals[arrival].requestId : oldest.id
            oldest.sourceId = floor.recordedSource(oldest.sourceId) ?? oldest.sourceId
            level.waiting.oldest = oldest
        }
        return level
    }
}
