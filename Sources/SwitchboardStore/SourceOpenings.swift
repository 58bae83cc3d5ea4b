import Foundation
import SwitchboardCore

/// Whether each source with working hours is open, and when that changes next: computed
/// from its hours (``WorkingHours``, pure) when first needed and again when the change
/// comes, as a deadline of the writer. Routing reads the state kept here and never the
/// clock. Nothing of it is stored: after a restart it is computed again from the hours.
struct SourceOpenings {
    struct State: Equatable {
        var hours: WorkingHours
        var open: Bool
        var nextChange: Int64?
    }

    private(set) var states: [Int64: State] = [:]
    /// Sources with hours and no state yet (new, changed, or not seen since the start).
    private var unknown: [Int64: WorkingHours] = [:]
    /// Whether a source was found open without an opening seen: after a restart its line may
    /// hold requests that arrived while it was closed, served by the next deadline pass.
    private(set) var openedUnseen = false

    /// Takes the routing table's hours: states of sources whose hours are gone or changed go.
    mutating func sync(with hours: [Int64: WorkingHours]) {
        states = states.filter { hours[$0.key] == $0.value.hours }
        unknown = hours.filter { states[$0.key] == nil }
    }

    var needsTime: Bool { !unknown.isEmpty }

    /// States for the sources that had none, at `time`.
    mutating func fill(at time: Int64) {
        for (sourceId, hours) in unknown {
            let state = Self.state(of: hours, at: time)
            states[sourceId] = state
            openedUnseen = openedUnseen || state.open
        }
        unknown.removeAll()
    }

    /// Whether the source routes now; a source without hours always does.
    func isOpen(_ sourceId: Int64) -> Bool { states[sourceId]?.open ?? true }

    func state(of sourceId: Int64) -> State? { states[sourceId] }

    var earliestChange: Int64? { states.values.compactMap(\.nextChange).min() }

    /// Moves every source whose change is due by `time` to its new state; whether any opened
    /// (or was found open since the last call).
    mutating func advance(to time: Int64) -> Bool {
        var opened = openedUnseen
        openedUnseen = false
        for (sourceId, state) in states {
            guard let change = state.nextChange, change <= time else { continue }
            let now = Self.state(of: state.hours, at: time)
            opened = opened || (now.open && !state.open)
            states[sourceId] = now
        }
        return opened
    }

    static func state(of hours: WorkingHours, at time: Int64) -> State {
        let instant = Timestamp(milliseconds: time)
        return State(hours: hours, open: hours.isOpen(at: instant), nextChange: hours.nextChange(after: instant)?.milliseconds)
    }
}

/// A source's `hours` column: its JSON, NULL for always open. Read once per routing-table
/// load, so Foundation's coders serve.
enum HoursColumn {
    static func text(_ hours: WorkingHours?) -> String? {
        guard let hours else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(hours)).map { String(decoding: $0, as: UTF8.self) }
    }

    static func hours(_ text: String?) -> WorkingHours? {
        text.flatMap { try? JSONDecoder().decode(WorkingHours.self, from: Data($0.utf8)) }
    }

    /// The sources that have hours, by id, with their identifiers: what the writer's
    /// openings start from, and what the dashboard's floor shows.
    static func sources(_ db: any SQLDatabase) throws -> [(id: Int64, identifier: String, hours: WorkingHours)] {
        try SQLRow.fetchAll(db, sql: "SELECT id, identifier, hours FROM sources WHERE hours IS NOT NULL ORDER BY id").compactMap { row in
            hours(row[2]).map { (row[0], row[1], $0) }
        }
    }
}
