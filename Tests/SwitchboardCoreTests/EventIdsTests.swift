import Foundation
import Testing
import SwitchboardCore

@Suite struct EventIdsTests {
    @Test func idsAreLowercaseVersion4UUIDs() {
        var ids = EventIds(random: SplitMix64(seed: 7))
        for _ in 0..<1_000 {
            let id = ids.next()
            #expect(UUID(uuidString: id)?.uuidString.lowercased() == id, "\(id) is a UUID in lowercase text")
            let characters = Array(id)
            #expect(characters[14] == "4", "version 4: \(id)")
            #expect("89ab".contains(characters[19]), "RFC 4122 variant: \(id)")
        }
    }

    @Test func idsDoNotRepeat() {
        var ids = EventIds(random: SplitMix64(seed: 1))
        let drawn = (0..<50_000).map { _ in ids.next() }
        #expect(Set(drawn).count == drawn.count)
    }

    @Test func eachGeneratorSeededFromTheSystemStartsElsewhere() {
        var first = EventIds()
        var second = EventIds()
        #expect(first.next() != second.next())
    }
}
