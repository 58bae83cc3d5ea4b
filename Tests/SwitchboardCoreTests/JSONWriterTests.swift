import Foundation
import PropertyBased
import Testing
@testable import SwitchboardCore

@Suite struct JSONWriterTests {
    static let text = Gen.element(of: Array("aЖ\"\\\n\t\u{01}\u{1F}é😀 /")).compactMap { $0 }.array(of: 0...20).map { String($0) }

    @Test func eventBytesDecodeToTheSameEventAsJSONEncoderWrites() async throws {
        let ids = Gen.int64(in: 1...Int64.max / 2)
        await propertyCheck(count: 300, input: zip(ids, ids.optional, Self.text, Self.text.optional), Gen.case as Generator<EventName, _>, Gen.bool) { fields, name, closed in
            let request = Request(
                id: fields.0, userId: fields.0 / 3 + 1, sourceId: 2, operatorId: fields.1, message: fields.2,
                status: closed ? .closed : .assigned, createdAt: Timestamp(milliseconds: fields.0 % 4_000_000_000_000),
                assignedAt: fields.1.map { Timestamp(milliseconds: $0 % 4_000_000_000_000) },
                closedAt: closed ? Timestamp(milliseconds: 5) : nil)
            let event = Event(event: name, eventId: "e-\(fields.0)", occurredAt: Timestamp(milliseconds: 7),
                              request: EventRequest(request: request, userIdentifier: fields.2, sourceIdentifier: "tg",
                                                    operatorName: fields.3))
            let written = event.jsonBytes()
            let decoded = try JSONDecoder().decode(Event.self, from: Data(written))
            #expect(decoded == event)
            let fromWriter = try JSONSerialization.jsonObject(with: Data(written)) as? NSDictionary
            let fromEncoder = try JSONSerialization.jsonObject(with: JSONEncoder().encode(event)) as? NSDictionary
            #expect(fromWriter == fromEncoder, "the two encodings must be the same JSON document")
        }
    }
}
