import SwitchboardCore

/// What choosing an operator needs to know of a request, whatever it is: new, waiting, or
/// routed again.
struct RequestNeeds: Equatable {
    var sourceId: Int64
    /// The requirements still in force.
    var requirements: [Requirement] = []
    /// Escalated, so it may overflow where its source allows it.
    var escalated = false
}

extension RoutingTable {
    /// The eligibility rule (``Eligibility``) on the table, skills aside: the operator's share
    /// in a draw for a request from `source`, 0 when it has no room or no weight. Skills are
    /// met by construction for the candidates ``forEachCandidate(_:_:_:)`` gives (the AND of
    /// their holders' sets); ``isEligible(_:for:)`` checks them for an operator named otherwise.
    @inline(__always)
    func drawWeight(slot: Int, _ needs: RequestNeeds, in source: SourceState) -> Int {
        guard hasRoom(slot, on: source.channel) else { return 0 }
        let weight = source.weightOfSlot[slot]
        return needs.escalated && source.overflow ? max(1, weight) : weight
    }

    /// Whether a given operator may take the request (sticky routing's question): the whole
    /// rule, skills included.
    func isEligible(_ operatorId: Int64, for needs: RequestNeeds) -> Bool {
        guard let slot = slot(of: operatorId), let source = source(needs.sourceId) else { return false }
        for requirement in needs.requirements where holders(of: requirement)?.contains(slot) != true { return false }
        return drawWeight(slot: slot, needs, in: source) > 0
    }

    /// Picks an eligible operator by the source's strategy, leaving out `excluded` (those
    /// offered the request in this round), or nil if nobody is eligible. `weighted` says
    /// whether the one picked has a weight for the source (else it came by overflow).
    func pick<R: RandomNumberGenerator>(for needs: RequestNeeds, excluding excluded: Set<Int64> = [], using random: inout R)
        -> (id: Int64, weighted: Bool, strategy: Strategy)? {
        guard let source = source(needs.sourceId) else { return nil }
        let overflow = needs.escalated && source.overflow
        // The original rule on a floor without skills: a walk over the source's weights that
        // allocates nothing per request.
        if source.strategy == .weighted, needs.requirements.isEmpty, !overflow {
            let chosen = Distribution.pick(from: source.weights, using: &random) { entry in
                if !excluded.isEmpty, excluded.contains(operators[entry.slot].id) { return 0 }
                return hasRoom(entry.slot, on: source.channel) ? entry.weight : 0
            }
            return chosen.map { (operators[$0.slot].id, true, .weighted) }
        }
        var candidates: [WeightedSlot] = []
        forEachCandidate(needs, source) { slot in
            if !excluded.isEmpty, excluded.contains(operators[slot].id) { return }
            let weight = drawWeight(slot: slot, needs, in: source)
            if weight > 0 { candidates.append(WeightedSlot(slot: slot, weight: weight)) }
        }
        let finalists = Self.best(candidates, by: source.strategy, operators)
        guard let chosen = Distribution.pick(from: finalists, using: &random, weight: \.weight) else { return nil }
        return (operators[chosen.slot].id, source.weightOfSlot[chosen.slot] > 0, source.strategy)
    }

    /// Whether anyone is eligible for requests with these needs (a drain's test of a part of
    /// the line before it reads the part's head).
    func anyoneEligible(for needs: RequestNeeds) -> Bool {
        guard let source = source(needs.sourceId) else { return false }
        var found = false
        forEachCandidate(needs, source) { slot in
            if !found, drawWeight(slot: slot, needs, in: source) > 0 { found = true }
        }
        return found
    }

    /// The slots worth asking ``drawWeight(slot:_:in:)`` about: those holding every required
    /// skill (the AND of their sets), else the source's weighted operators, else (overflow)
    /// everyone.
    private func forEachCandidate(_ needs: RequestNeeds, _ source: SourceState, _ body: (Int) -> Void) {
        if !needs.requirements.isEmpty {
            guard var candidates = holders(of: needs.requirements[0]) else { return }
            for requirement in needs.requirements.dropFirst() {
                guard let more = holders(of: requirement) else { return }
                candidates.formIntersection(more)
            }
            candidates.forEach(body)
        } else if needs.escalated && source.overflow {
            operators.indices.forEach(body)
        } else {
            source.weights.forEach { body($0.slot) }
        }
    }

    /// The candidates the strategy keeps for the weighted draw: all of them (`weighted`), the
    /// least loaded by share of their limit, or the longest idle (never assigned first).
    static func best(_ candidates: [WeightedSlot], by strategy: Strategy, _ operators: [OperatorState]) -> [WeightedSlot] {
        guard candidates.count > 1 else { return candidates }
        switch strategy {
        case .weighted:
            return candidates
        case .leastLoaded:
            // load / limit compared as cross products: no rounding decides a tie.
            func ratio(_ c: WeightedSlot) -> (Int, Int) { (operators[c.slot].availability.load, operators[c.slot].availability.limit) }
            let lowest = candidates.map(ratio).min { $0.0 * $1.1 < $1.0 * $0.1 }!
            return candidates.filter { let r = ratio($0); return r.0 * lowest.1 == lowest.0 * r.1 }
        case .longestIdle:
            let idle = candidates.map { operators[$0.slot].lastAssignedAt ?? Int64.min }
            let oldest = idle.min()!
            return zip(candidates, idle).filter { $0.1 == oldest }.map(\.0)
        }
    }
}
