import Foundation
import GRDB
import Testing
import SwitchboardCore
@testable import SwitchboardStore

/// A store with one source that makes offers and operators weighted on it.
struct OfferWorld {
    let clock = Clock()
    let store: SwitchboardStore
    let source: Int64
    let operators: [Int64]

    init(operators count: Int, limit: Int = 5, timeout: Int = 30, awayAfterMissed: Int = 3, seed: UInt64 = 1) throws {
        store = try makeStore(seed: seed, clock: clock, awayAfterMissed: awayAfterMissed)
        guard case let .source(created) = try store.ok(.sourceCreate(
            name: "Chat", identifier: "chat", settings: SourceSettings(offerTimeoutSeconds: timeout))) else { throw TestFailure("no source") }
        source = created.id
        var ids: [Int64] = []
        for index in 0..<count { ids.append(try store.createOperator("op\(index)", limit: limit)) }
        operators = ids
        try store.ok(.sourceSetWeights(sourceId: source, weights: ids.map { Weight(operatorId: $0, weight: 10) }))
    }

    /// A new request (from a user named after its text unless one is given); returns it and
    /// the events it made.
    func intake(_ text: String = "hello", user: String? = nil, priority: Int = 0) throws -> (Request, [Event]) {
        let (outcome, outboxEvents) = try store.intake(IntakeMessage(
            userIdentifier: user ?? "u-\(text)", source: .id(source), message: text, priority: priority))
        let id: Int64 = switch outcome {
        case let .offered(id, _), let .assigned(id, _), let .waiting(id): id
        default: throw TestFailure("intake gave \(outcome)")
        }
        return (try request(id), try outboxEvents.map(decoded))
    }

    func request(_ id: Int64) throws -> Request {
        guard case let .requestDetail(detail) = try store.ok(.requestGet(id: id)) else { throw TestFailure("no request") }
        return detail.request
    }

    /// Runs a command that must succeed; returns its events.
    func run(_ command: Command) throws -> [Event] {
        let (result, events) = try store.execute(command)
        _ = try result.get()
        return try events.filter { $0.routingKey.hasPrefix("request.") }.map(decoded)
    }

    /// Lets time pass and the writer handle what fell due, as an idle service does.
    func pass(seconds: Int) throws -> [OutboxEvent] {
        clock.advance(seconds: seconds)
        return try store.apply([]).events
    }

    func decoded(_ event: OutboxEvent) throws -> Event { try JSONDecoder().decode(Event.self, from: Data(event.body)) }
}

@Suite struct OfferTests {
    @Test func aPickOnASourceWithOffersOffersAndAcceptingAssigns() throws {
        let world = try OfferWorld(operators: 1)
        let (request, events) = try world.intake()
        #expect(request.status == .offered && request.operatorId == world.operators[0])
        #expect(request.offerExpiresAt == Timestamp(milliseconds: request.createdAt.milliseconds + 30_000))
        #expect(events.map(\.event) == [.requestOffered] && events[0].route == .weighted)
        #expect(try world.store.operatorNow(world.operators[0]).currentLoad == 1, "an offer counts in the load")

        let accepted = try world.run(.requestAccept(id: request.id, operatorId: world.operators[0]))
        #expect(accepted.map(\.event) == [.requestAssigned])
        let now = try world.request(request.id)
        #expect(now.status == .assigned && now.offerExpiresAt == nil && now.assignedAt != nil)
        #expect(try world.store.operatorNow(world.operators[0]).currentLoad == 1)
        try world.store.checkInvariants()

        let twice = try #require(try world.store.failure(.requestAccept(id: request.id, operatorId: world.operators[0])))
        #expect(twice.code == .conflict && twice.message.contains("already assigned to operator \(world.operators[0])"))
        let reject = try #require(try world.store.failure(.requestReject(id: request.id, operatorId: world.operators[0], reason: nil)))
        #expect(reject.code == .conflict, "an assigned request cannot be rejected")
    }

    @Test func aRejectedOfferGoesToTheNextOperatorWhoAccepts() throws {
        let world = try OfferWorld(operators: 2)
        let (request, _) = try world.intake()
        let first = try #require(request.operatorId)
        let second = world.operators.first { $0 != first }!
        let events = try world.run(.requestReject(id: request.id, operatorId: first, reason: "on a call"))
        #expect(events.map(\.event) == [.requestOfferDeclined, .requestOffered])
        #expect(events[0].decline == Decline(operatorId: first, reason: .rejected, rejectionReason: "on a call"))
        #expect(events[1].request.request.operatorId == second)
        #expect(try world.store.operatorNow(first).currentLoad == 0)

        let wrong = try #require(try world.store.failure(.requestAccept(id: request.id, operatorId: first)))
        #expect(wrong.message.contains("operator \(first) rejected it") && wrong.message.contains("on offer to operator \(second)"))
        _ = try world.run(.requestAccept(id: request.id, operatorId: second))
        #expect(try world.request(request.id).status == .assigned)
        try world.store.checkInvariants()
    }

    @Test func expiredOffersMoveOnThenTheRequestWaits() throws {
        let world = try OfferWorld(operators: 2)
        let (request, _) = try world.intake()
        let first = try #require(request.operatorId)
        #expect(try world.pass(seconds: 29).isEmpty, "nothing is due before the deadline")

        let expiry = try world.pass(seconds: 2).map(world.decoded)
        #expect(expiry.map(\.event) == [.requestOfferDeclined, .requestOffered])
        #expect(expiry[0].decline?.reason == .expired && expiry[0].decline?.operatorId == first)
        let second = try #require(expiry[1].request.request.operatorId)
        #expect(second != first)

        let last = try world.pass(seconds: 31).map(world.decoded)
        #expect(last.map(\.event) == [.requestOfferDeclined, .requestWaiting], "everyone was offered it in this round")
        #expect(try world.request(request.id).status == .waiting)
        #expect(try world.pass(seconds: 60).isEmpty, "a waiting request has no deadline")

        let late = try #require(try world.store.failure(.requestAccept(id: request.id, operatorId: first)))
        #expect(late.code == .conflict && late.message.contains("expired at") && late.message.contains("it is waiting"))
        try world.store.checkInvariants()

        // The next change that frees room starts a new round: first may be offered it again.
        let (other, _) = try world.intake("second")
        _ = try world.run(.requestClose(id: other.id))
        #expect(try world.request(request.id).status == .offered)
    }

    @Test func anAcceptAfterTheDeadlineConflictsEvenBeforeAnIdlePass() throws {
        let world = try OfferWorld(operators: 1)
        let (request, _) = try world.intake()
        world.clock.advance(seconds: 31)
        let (result, events) = try world.store.execute(.requestAccept(id: request.id, operatorId: world.operators[0]))
        guard case let .failure(error) = result else { throw TestFailure("accepted after the deadline") }
        #expect(error.message.contains("expired"))
        #expect(events.map(\.routingKey) == ["request.offer_declined", "request.waiting"], "the expiry came first, in the same transaction")
    }

    @Test func threeMissedOffersInARowSetTheOperatorAway() throws {
        let world = try OfferWorld(operators: 1)
        let op = world.operators[0]
        var presenceEvents: [PresenceEvent] = []
        for index in 0..<3 {
            let (request, _) = try world.intake("r\(index)")
            #expect(request.operatorId == op, "offer \(index) goes to the only operator")
            presenceEvents += try world.pass(seconds: 31).filter { $0.routingKey == EventName.operatorPresenceChanged.rawValue }
                .map { try JSONDecoder().decode(PresenceEvent.self, from: Data($0.body)) }
        }
        #expect(presenceEvents.count == 1)
        #expect(presenceEvents.first?.reason == .missedOffers && presenceEvents.first?.previousPresence == .available)
        #expect(try world.store.operatorNow(op).presence == .away)
        let (nextRequest, _) = try world.intake("r3")
        #expect(nextRequest.status == .waiting, "an away operator is not eligible")
        try world.store.checkInvariants()
    }

    @Test func aRejectBreaksTheRunOfMissedOffers() throws {
        let world = try OfferWorld(operators: 1)
        for index in 0..<2 {
            let (missed, _) = try world.intake("m\(index)")
            _ = try world.pass(seconds: 31)
            _ = try world.run(.requestClose(id: missed.id))
        }
        let (request, _) = try world.intake("answered")
        _ = try world.run(.requestReject(id: request.id, operatorId: world.operators[0], reason: nil))
        _ = try world.run(.requestClose(id: request.id))
        _ = try world.intake("m3")
        _ = try world.pass(seconds: 31)
        #expect(try world.store.operatorNow(world.operators[0]).presence == .available)
    }

    @Test func goingAwayWithdrawsOffersAndRoutesThemAtOnce() throws {
        let world = try OfferWorld(operators: 2)
        let (request, _) = try world.intake()
        let first = try #require(request.operatorId)
        let (result, outbox) = try world.store.execute(.operatorSetPresence(id: first, presence: .away, requeue: false))
        guard case let .operator(changed) = try result.get() else { throw TestFailure("not an operator") }
        #expect(changed.presence == .away && changed.currentLoad == 0)
        #expect(outbox.map(\.routingKey) == ["operator.presence_changed", "request.offer_declined", "request.offered"])
        let presence = try JSONDecoder().decode(PresenceEvent.self, from: Data(outbox[0].body))
        #expect(presence.reason == .command && presence.previousPresence == .available && presence.operator.presence == .away)
        #expect(try world.decoded(outbox[1]).decline?.reason == .withdrawn)
        #expect(try world.request(request.id).operatorId != first)
        try world.store.checkInvariants()

        let again = try world.store.execute(.operatorSetPresence(id: first, presence: .away, requeue: false)).1
        #expect(again.isEmpty, "setting the same presence changes nothing")
    }

    @Test func switchingAnOperatorOffWithdrawsTheirOffersAndTheLineKeepsWhatEveryoneDeclined() throws {
        let world = try OfferWorld(operators: 2)
        let (request, _) = try world.intake()
        let first = try #require(request.operatorId)
        _ = try world.run(.requestReject(id: request.id, operatorId: first, reason: nil))
        let second = try #require(try world.request(request.id).operatorId)
        let events = try world.run(.operatorToggleActive(id: second))
        #expect(events.map(\.event) == [.requestOfferDeclined, .requestWaiting])
        #expect(events.first?.decline == Decline(operatorId: second, reason: .withdrawn))
        #expect(try world.request(request.id).status == .waiting, "not handed straight back to the operator who rejected it")
        try world.store.checkInvariants()
    }

    @Test func offlineWithRequeueSendsAssignedRequestsOnOldestFirst() throws {
        let world = try OfferWorld(operators: 1, timeout: 0)
        let first = world.operators[0]
        let ids = try (0..<3).map { try world.intake("q\($0)").0.id }
        let second = try world.store.createOperator("late", limit: 2)
        try world.store.ok(.sourceSetWeights(sourceId: world.source, weights: [Weight(operatorId: first, weight: 1), Weight(operatorId: second, weight: 1)]))

        let kept = try world.store.execute(.operatorSetPresence(id: first, presence: .offline, requeue: false)).1
        #expect(kept.map(\.routingKey) == ["operator.presence_changed"], "without requeue, assigned requests stay")
        #expect(try world.store.operatorNow(first).currentLoad == 3)
        _ = try world.run(.operatorSetPresence(id: first, presence: .available, requeue: false))

        let events = try world.run(.operatorSetPresence(id: first, presence: .offline, requeue: true))
        #expect(events.map(\.event) == [.requestAssigned, .requestAssigned, .requestWaiting])
        #expect(events.map(\.request.request.id) == ids, "oldest first")
        #expect(events.prefix(2).allSatisfy { $0.request.request.operatorId == second })
        #expect(try world.store.operatorNow(first).currentLoad == 0)
        try world.store.checkInvariants()
    }

    @Test func closingAnOfferedRequestFreesTheLoadAndKeepsNoOperator() throws {
        let world = try OfferWorld(operators: 1)
        let (request, _) = try world.intake()
        let events = try world.run(.requestClose(id: request.id))
        #expect(events.map(\.event) == [.requestClosed])
        #expect(try world.request(request.id).operatorId == nil)
        #expect(try world.store.operatorNow(world.operators[0]).currentLoad == 0)
        #expect(try world.pass(seconds: 31).isEmpty, "a closed request's deadline is gone")
        try world.store.checkInvariants()
    }

    @Test func aManualAssignWithdrawsAnOfferToSomeoneElse() throws {
        let world = try OfferWorld(operators: 2)
        let (request, _) = try world.intake()
        let other = world.operators.first { $0 != request.operatorId }!
        let events = try world.run(.requestAssign(id: request.id, operatorId: other))
        #expect(events.map(\.event) == [.requestOfferDeclined, .requestAssigned])
        #expect(try world.request(request.id).status == .assigned)
        try world.store.checkInvariants()
    }

    @Test func manualAssignmentToAnAwayOperatorIsAConflictSayingSo() throws {
        let world = try OfferWorld(operators: 1, timeout: 0)
        let second = try world.store.createOperator("away", limit: 3)
        _ = try world.run(.operatorSetPresence(id: second, presence: .away, requeue: false))
        let (request, _) = try world.intake()
        let error = try #require(try world.store.failure(.requestAssign(id: request.id, operatorId: second)))
        #expect(error.message == "operator \(second) is away")
    }

    @Test func statsAndStatusCountOffers() throws {
        let world = try OfferWorld(operators: 1)
        _ = try world.intake()
        guard case let .operatorsLoad(load) = try world.store.ok(.statsOperatorsLoad),
              case let .status(status) = try world.store.ok(.serviceStatus),
              case let .requests(offered) = try world.store.ok(.requestList(RequestFilter(status: .offered)))
        else { throw TestFailure("wrong shapes") }
        #expect(load.operators.first?.offered == 1 && load.operators.first?.presence == .available)
        #expect(status.offeredCount == 1 && offered.count == 1)
    }

    @Test func deadlinesThatPassWhileClosedFireOnceAfterReopening() throws {
        let path = temporaryDatabasePath()
        let clock = Clock()
        var ids: [Int64] = []
        do {
            let store = try makeStore(path: path, clock: clock)
            try store.createSource("chat")
            _ = try store.ok(.sourceUpdate(id: 1, name: nil, settings: SourceSettings(offerTimeoutSeconds: 5)))
            let op = try store.createOperator("a", limit: 100)
            try store.ok(.sourceSetWeights(sourceId: 1, weights: [Weight(operatorId: op, weight: 1)]))
            for index in 0..<20 {
                let (outcome, _) = try store.intake(IntakeMessage(userIdentifier: "u\(index)", source: .id(1), message: "m"))
                guard case let .offered(id, _) = outcome else { throw TestFailure("not offered: \(outcome)") }
                ids.append(id)
            }
        }
        clock.advance(seconds: 60)
        let reopened = try makeStore(path: path, clock: clock, awayAfterMissed: 0)
        #expect(try reopened.nextDeadline() != nil)
        let first = try reopened.apply([]).events
        let declined = first.filter { $0.routingKey == "request.offer_declined" }
        #expect(declined.count == 20 && Set(declined.map(\.eventId)).count == 20)
        #expect(try reopened.apply([]).events.isEmpty, "each expiry fires once")
        #expect(try reopened.nextDeadline() == nil)
        try reopened.checkInvariants()
    }
}
