import Testing
@testable import SwitchboardCore

@Suite struct ServiceLevelTallyTests {
    @Test func percentilesAreNearestRankInSeconds() {
        let values: [Int64] = (1...100).map { Int64($0) * 1000 }
        #expect(ServiceLevelTally.percentile(50, of: values) == 50)
        #expect(ServiceLevelTally.percentile(90, of: values) == 90)
        #expect(ServiceLevelTally.percentile(99, of: values) == 99)
        #expect(ServiceLevelTally.percentile(99, of: [7000]) == 7)
        #expect(ServiceLevelTally.percentile(50, of: []) == nil)
    }

    @Test func sharesCountUnassignedRequestsAsNotServed() {
        var tally = ServiceLevelTally()
        tally.add(createdAt: 0, assignedAt: 20_000, closedAt: nil, isClosed: false)
        tally.add(createdAt: 0, assignedAt: 90_000, closedAt: 95_000, isClosed: true)
        tally.add(createdAt: 0, assignedAt: nil, closedAt: nil, isClosed: false)
        tally.add(createdAt: 0, assignedAt: 30_000, closedAt: 40_000, isClosed: true)
        let row = tally.row(thresholdsSeconds: [30, 60, 120])
        #expect(row.requests == 4 && row.assigned == 3 && row.closed == 2)
        #expect(row.within.map(\.share) == [0.5, 0.5, 0.75])
        #expect(row.timeToAssignSeconds.mean == 46.667 && row.timeToAssignSeconds.max == 90)
        #expect(row.handleSeconds.p50 == 5 && row.handleSeconds.max == 10)
    }
}
