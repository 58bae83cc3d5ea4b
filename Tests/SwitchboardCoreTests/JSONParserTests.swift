import Foundation
import PropertyBased
import Testing
@testable import SwitchboardCore

func parsed(_ text: String) throws(JSONParseError) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

@Suite struct JSONParserTests {
    @Test func readsEveryKindOfValue() throws {
        let value = try parsed(#" {"s":"a\"b\\c\/\n\u00e9\ud83d\ude00","i":-42,"d":1.5e2,"z":0,"t":true,"f":false,"n":null,"a":[1,[],{}]} "#)
        #expect(value == .object([
            "s": .string("a\"b\\c/\né😀"), "i": .integer(-42), "d": .number(150), "z": .integer(0), "t": .bool(true),
            "f": .bool(false), "n": .null, "a": .array([.integer(1), .array([]), .object([:])]),
        ]))
    }

    @Test func keepsUPlus0000InsideAString() throws {
        #expect(try parsed(#""a\u0000b""#) == .string("a\u{0}b"))
    }

    @Test func refusesAKeyTwiceInOneObject() {
        #expect(throws: JSONParseError.duplicateKey("k")) { try parsed(#"{"k":1,"x":{"k":2},"k":3}"#) }
        // The same key in different objects is fine.
        #expect(throws: Never.self) { try parsed(#"{"k":1,"x":{"k":2}}"#) }
    }

    @Test(arguments: [
        "", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "1.", "-", "1e", "tru", "nul", "\"abc", "\"\\x\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\u{1}b\"", "{} {}", "[1 2]", "1e999", "{1:2}",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try parsed(text) }
    }

    @Test func refusesInvalidUTF8InAString() {
        #expect(throws: JSONParseError.invalidUTF8) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func refusesNestingPastTheLimitWithoutRecursingIntoIt() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.tooDeep(limit: JSONParser.depthLimit)) { try parsed(deep) }
        #expect(throws: Never.self) { try parsed(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) }
    }

    @Test func bigIntegersBecomeNumbers() throws {
        #expect(try parsed("9223372036854775807") == .integer(.max))
        #expect(try parsed("9223372036854775808") == .number(9_223_372_036_854_775_808))
    }

    /// Whatever Foundation's encoder writes, the parser reads back to the same value.
    @Test func readsBackWhatFoundationWrites() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var random = SplitMix64(seed: seed)
            let value = RandomJSON.value(depth: 3, &random)
            let bytes = try! Array(JSONEncoder().encode(value))
            #expect((try? JSONParser.parse(bytes)) == value)
        }
    }
}

/// Random JSON trees from a seed (the generator library has no recursive generators).
enum RandomJSON {
    static let characters = Array("az09 \"\\\n\u{0}\u{1F}é😀/")

    static func value(depth: Int, _ random: inout SplitMix64) -> JSONValue {
        switch random.next() % (depth > 0 ? 7 : 5) {
        case 0: .null
        case 1: .bool(random.next() % 2 == 0)
        case 2: .integer(Int64(bitPattern: random.next()) >> (random.next() % 64))
        case 3, 4: .string(text(&random))
        case 5: .array((0..<random.next() % 4).map { _ in value(depth: depth - 1, &random) })
        default:
            .object(Dictionary((0..<random.next() % 4).map { _ in (text(&random), value(depth: depth - 1, &random)) },
                               uniquingKeysWith: { first, _ in first }))
        }
    }

    static func text(_ random: inout SplitMix64) -> String {
        String((0..<random.next() % 9).map { _ in characters[Int(random.next() % UInt64(characters.count))] })
    }
}
