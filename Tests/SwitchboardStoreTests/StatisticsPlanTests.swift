import BrokerTestSupport
import GRDB
import Testing
@testable import SwitchboardStore

/// `service.status` and every scrape and dashboard frame count the waiting line and the
/// offers out: those counts must read the partial indexes, whose size is the line's, not
/// scan an index of every request stored.
@Suite struct StatisticsPlanTests {
    @Test(.enabled(if: TestDatabase.isSQLite, "SQLite's own"), arguments: [
        (SwitchboardStore.lineCountQueries.waiting, "requests_waiting"),
        (SwitchboardStore.lineCountQueries.offered, "requests_offer_deadline"),
    ])
    func theLineCountsReadOnlyThePartialIndexOfTheRowsTheyCount(_ query: String, _ index: String) throws {
        let store = try makeStore()
        let plan = try store.readSQLite { db in try String.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + query, adapter: SuffixRowAdapter(fromIndex: 3)) }
        #expect(plan.count == 1 && plan[0].contains(index), "\(plan)")
    }
}
