/// How one operator answered the offers it got in a window: the replay's model of offers
/// ("an offer to an operator is answered the way that operator answered offers in the
/// window"), drawn with the replay's seeded random.
public struct OfferAnswers: Sendable, Equatable {
    /// Milliseconds from the offer to each accept, and to each reject.
    public var acceptedAfter: [Int64]
    public var rejectedAfter: [Int64]
    /// Offers it let expire (withdrawn ones are not its answer and are not counted).
    public var unanswered: Int

    public init(acceptedAfter: [Int64] = [], rejectedAfter: [Int64] = [], unanswered: Int = 0) {
        self.acceptedAfter = acceptedAfter
        self.rejectedAfter = rejectedAfter
        self.unanswered = unanswered
    }

    public var offers: Int { acceptedAfter.count + rejectedAfter.count + unanswered }
    public var acceptShare: Double { offers == 0 ? 0 : Double(acceptedAfter.count) / Double(offers) }

    public enum Answer: Sendable, Equatable {
        case accept(afterMilliseconds: Int64)
        case reject(afterMilliseconds: Int64)
        /// No answer: the offer expires at its deadline.
        case none
    }

    /// One answer: accept, reject or none in the shares recorded, after a time drawn from the
    /// recorded ones of that answer. With nothing recorded, an accept at once.
    public func draw(using random: inout some RandomNumberGenerator) -> Answer {
        guard offers > 0 else { return .accept(afterMilliseconds: 0) }
        let pick = Int.random(in: 0..<offers, using: &random)
        if pick < acceptedAfter.count { return .accept(afterMilliseconds: acceptedAfter.randomElement(using: &random)!) }
        if pick < acceptedAfter.count + rejectedAfter.count { return .reject(afterMilliseconds: rejectedAfter.randomElement(using: &random)!) }
        return .none
    }

    /// The floor's median operator by acceptance share (of those that got offers): how an
    /// added operator, or one with no offers in the window, answers.
    public static func median(of answers: some Collection<OfferAnswers>) -> OfferAnswers {
        let ranked = answers.filter { $0.offers > 0 }.sorted { ($0.acceptShare, $0.offers) < ($1.acceptShare, $1.offers) }
        return ranked.isEmpty ? OfferAnswers() : ranked[(ranked.count - 1) / 2]
    }
}
