import Foundation
import SwitchboardCore
@testable import SwitchboardStore

/// A day on a floor, lived through a store as the service would live it: requests arriving at
/// scripted times, each closed by whoever got it a scripted time after they got it, operators
/// going away and back, on a clock the script moves. What the store keeps of it is the record
/// the what-if replay reads.
struct ScriptedDay {
    struct Arrival {
        var at: Int64
        var source: Int64
        var handleMilliseconds: Int64
        var requires: [Requirement]? = nil
    }

    struct PresenceStep {
        var at: Int64
        var operatorId: Int64
        var presence: Presence
    }

    /// How an operator answers the offers it gets: accepts this share of them, each answer
    /// a uniform draw of 1 to `slowestSeconds` after the offer.
    struct OfferHabit {
        var acceptShare: Double
        var slowestSeconds: Int
    }

    var start: Int64
    var arrivals: [Arrival] = []
    var presence: [PresenceStep] = []
    /// By operator; an operator without one never answers (its offers expire).
    var offerHabits: [Int64: OfferHabit] = [:]
    /// By arrival's index: handed to a colleague this long after its first assignment, by a
    /// console's `request.transfer` (so the audit trail keeps it as sent).
    var transfers: [Int: (afterMilliseconds: Int64, to: Int64)] = [:]
    /// Commands an admin runs at given times (a change of limits, of weights).
    var commands: [(at: Int64, command: Command)] = []

    /// `count` requests a mean `gap` apart (exponential), each handled for 1 to `longest`
    /// seconds, from `sources` in turn; drawn with `seed`.
    static func steady(start: Int64, count: Int, gapSeconds: Double, longestSeconds: Int, sources: [Int64], seed: UInt64) -> ScriptedDay {
        var random = SplitMix64(seed: seed)
        var day = ScriptedDay(start: start)
        var at = Double(start)
        for index in 0..<count {
            at += -log(1 - Double.random(in: 0..<1, using: &random)) * gapSeconds * 1000
            day.arrivals.append(Arrival(at: Int64(at), source: sources[index % sources.count],
                                        handleMilliseconds: Int64.random(in: 1_000...Int64(longestSeconds) * 1000, using: &random)))
        }
        return day
    }

    var end: Int64 { (arrivals.map(\.at).max() ?? start) + 3_600_000 }

    /// Lives the day on `store`, whose clock is `clock`.
    func play(on store: SwitchboardStore, clock: Clock) throws {
        enum Next {
            case arrival(Int), close(Int64), presence(Int), answer(request: Int64, operatorId: Int64, accept: Bool)
            case transfer(request: Int64, to: Int64)
            case command(Int)
        }
        var agenda: [(at: Int64, order: Int, next: Next)] = []
        var order = 0
        func schedule(_ next: Next, at time: Int64) {
            let entry = (time, order, next)
            order += 1
            let index = agenda.firstIndex { ($0.at, $0.order) > (entry.0, entry.1) } ?? agenda.endIndex
            agenda.insert(entry, at: index)
        }
        for (index, arrival) in arrivals.enumerated() { schedule(.arrival(index), at: arrival.at) }
        for (index, step) in presence.enumerated() { schedule(.presence(index), at: step.at) }
        for (index, step) in commands.enumerated() { schedule(.command(index), at: step.at) }
        var arrivalOf: [Int64: Int] = [:]
        var assigned: Set<Int64> = []
        var random = SplitMix64(seed: UInt64(start))
        func closeLater(_ events: [OutboxEvent]) throws {
            for event in events {
                if event.routingKey == EventName.requestOffered.rawValue {
                    let request = try JSONDecoder().decode(Event.self, from: Data(event.body)).request.request
                    guard let op = request.operatorId, let habit = offerHabits[op] else { continue }
                    let accept = Double.random(in: 0..<1, using: &random) < habit.acceptShare
                    let after = Int64.random(in: 1_000...Int64(habit.slowestSeconds) * 1000, using: &random)
                    schedule(.answer(request: request.id, operatorId: op, accept: accept), at: clock.milliseconds + after)
                }
                guard event.routingKey == EventName.requestAssigned.rawValue else { continue }
                let request = try JSONDecoder().decode(Event.self, from: Data(event.body)).request.request.id
                guard assigned.insert(request).inserted, let arrival = arrivalOf[request] else { continue }
                if let transfer = transfers[arrival] { schedule(.transfer(request: request, to: transfer.to), at: clock.milliseconds + transfer.afterMilliseconds) }
                schedule(.close(request), at: clock.milliseconds + arrivals[arrival].handleMilliseconds)
            }
        }
        for _ in 0..<(8 * (arrivals.count + presence.count + commands.count) + 10) {
            guard !agenda.isEmpty else { return }
            let (at, _, next) = agenda.removeFirst()
            clock.move(to: at)
            switch next {
            case let .arrival(index):
                let arrival = arrivals[index]
                let (outcome, events) = try store.intake(IntakeMessage(
                    userIdentifier: "user-\(index % 300)", source: .id(arrival.source), message: "m\(index)", requires: arrival.requires))
                if let request = outcome.requestId { arrivalOf[request] = index }
                try closeLater(events)
            case let .close(request):
                try closeLater(try store.execute(.requestClose(id: request)).1)
            case let .presence(index):
                let step = presence[index]
                try closeLater(try store.execute(.operatorSetPresence(id: step.operatorId, presence: step.presence, requeue: false)).1)
            case let .answer(request, op, accept):
                // Too late (the offer expired or went elsewhere) is refused, as for a console.
                let command: Command = accept ? .requestAccept(id: request, operatorId: op) : .requestReject(id: request, operatorId: op, reason: nil)
                try closeLater(try store.execute(command).1)
            case let .command(index):
                try closeLater(try store.execute(commands[index].command).1)
            case let .transfer(request, to):
                let console = CommandSender(user: "console", args: ["id": .integer(request), "operator_id": .integer(to), "reason": "billing"])
                let applied = try store.apply([.command(.requestTransfer(id: request, to: .operator(to), reason: "billing"), sender: console)])
                try closeLater(applied.events)
            }
        }
    }
}
