import AMQP
import BrokerTestSupport
import Foundation
import SwitchboardClient
import SwitchboardCore
import Testing

@Suite struct BadInputTests {
    @Test func poisonIntakeIsDeadLetteredWithReasonsWhileGoodMessagesGoThrough() async throws {
        let running = await RunningService(label: "poison")
        let poison: [(String, [UInt8], String)] = [
            ("not-json", Array("this is not json".utf8), "invalid_json"),
            ("bad-utf8", [0x7B, 0xFF, 0xFE, 0x7D], "invalid_json"),
            ("missing", Array(#"{"source":"telegram","message":"m"}"#.utf8), "missing_field"),
            ("empty", Array(#"{"user_identifier":"  ","source":"telegram","message":"m"}"#.utf8), "invalid_field"),
            ("too-long", Array(#"{"user_identifier":"u","source":"telegram","message":"\#(String(repeating: "x", count: 10_001))"}"#.utf8), "field_too_long"),
            ("unknown-source", Array(#"{"user_identifier":"u","source":"fax","message":"m"}"#.utf8), "unknown_source"),
            ("unknown-source-id", Array(#"{"user_identifier":"u","source_id":99,"message":"m"}"#.utf8), "unknown_source"),
            ("nul-message", Array(#"{"user_identifier":"u","source":"telegram","message":"a\u0000b"}"#.utf8), "invalid_field"),
            ("nul-user", Array(#"{"user_identifier":"u\u0000v","source":"telegram","message":"m"}"#.utf8), "invalid_field"),
            ("key-twice", Array(#"{"user_identifier":"u","source":"telegram","message":"first","message":"second"}"#.utf8), "invalid_json"),
        ]
        let reasons = ["nul-message": "message must not contain U+0000", "nul-user": "user_identifier must not contain U+0000",
                       "key-twice": #"the key "message" appears twice"#]
        try await withClient(running.prefix) { client, watcher in
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            var messages: [(body: [UInt8], messageId: String?)] = []
            for (index, (id, body, _)) in poison.enumerated() {
                messages.append((Array(#"{"user_identifier":"good\#(index)","source":"telegram","message":"fine"}"#.utf8), "good-\(index)"))
                messages.append((body, id))
            }
            try client.sendIntake(messages)
            let events = try #require(watcher).collect(poison.count, timeout: .seconds(15))
            #expect(Set(events.compactMap { $0.properties.correlationId }) == Set(poison.indices.map { "good-\($0)" }))

            let dead = try AMQPConnection(url: brokerURL)
            try dead.openChannel()
            try dead.consume(queue: client.topology.deadQueue)
            var seen: [String: AMQPDelivery] = [:]
            let deadline = ContinuousClock.now + .seconds(15)
            while seen.count < poison.count, ContinuousClock.now < deadline {
                guard let letter = try dead.nextDelivery(timeout: .seconds(1)) else { continue }
                seen[letter.properties.messageId ?? "?"] = letter
                try dead.ack(letter.deliveryTag)
            }
            for (id, body, code) in poison {
                let letter = try #require(seen[id], "\(id) was not dead-lettered")
                #expect(letter.body == body, "the dead letter keeps the original bytes")
                #expect(letter.properties.headers?["x-switchboard-error"]?.stringValue == code, "\(id)")
                #expect(letter.properties.headers?["x-switchboard-reason"]?.stringValue?.isEmpty == false)
                if let reason = reasons[id] {
                    #expect(letter.properties.headers?["x-switchboard-reason"]?.stringValue?.contains(reason) == true, "\(id)")
                }
            }
            #expect(try client.ok("service.status")["counters"]?["dead_lettered"]?.int == Int64(poison.count))
        }
        try await running.finish()
    }

    @Test func badCommandsGetErrorsNamingTheFieldAndChangeNothing() async throws {
        let running = await RunningService(label: "commands")
        try await withClient(running.prefix, watching: nil) { client, _ in
            try client.ok("operator.create", ["name": "A", "max_load_limit": 2])
            try client.ok("source.create", ["name": "Telegram", "identifier": "telegram"])
            let notJSON = try client.call(raw: Array("{oops".utf8))
            #expect(notJSON.error?.code == .badRequest)
            let keyTwice = try client.call(raw: Array(#"{"command":"operator.create","args":{"name":"A","name":"B","max_load_limit":1}}"#.utf8))
            #expect(keyTwice.error?.code == .badRequest)
            #expect(keyTwice.error?.message.contains(#""name" appears twice"#) == true)
            let unknown = try client.call("operator.fire", ["id": 1])
            #expect(unknown.error?.code == .badRequest)
            #expect(unknown.error?.details.map(\.field) == ["command"])
            let cases: [(String, [String: JSONValue], CommandError.Code, [String])] = [
                ("operator.create", ["name": " ", "max_load_limit": 0], .validationError, ["max_load_limit", "name"]),
                ("operator.create", ["name": .string(String(repeating: "n", count: 201)), "max_load_limit": 1], .validationError, ["name"]),
                ("source.create", ["name": "X", "identifier": "Bad Id"], .validationError, ["identifier"]),
                ("source.create", ["name": "X", "identifier": "telegram"], .conflict, ["identifier"]),
                ("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 101)])], .validationError, ["weights[0].weight"]),
                ("source.set_weights", ["source_id": 1, "weights": weightsArg([(1, 5), (1, 6)])], .validationError, ["weights[1].operator_id"]),
                ("source.set_weights", ["source_id": 1, "weights": weightsArg([(7, 5)])], .notFound, ["weights[0].operator_id"]),
                ("source.set_weights", ["source_id": 9, "weights": weightsArg([(1, 5)])], .notFound, ["source_id"]),
                ("operator.get", ["id": -1], .validationError, ["id"]),
                ("operator.get", ["id": 42], .notFound, ["id"]),
                ("request.get", ["id": 42], .notFound, ["id"]),
                ("request.close", ["id": 42], .notFound, ["id"]),
                ("request.list", ["status": "lost"], .validationError, ["status"]),
                ("operator.update", ["id": 1, "max_load_limit": "ten"], .validationError, ["max_load_limit"]),
                ("operator.create", ["name": "x\u{0}y", "max_load_limit": 1], .validationError, ["name"]),
                ("source.create", ["name": "T\u{0}", "identifier": "t2"], .validationError, ["name"]),
            ]
            let before = try client.ok("operator.list")
            let sourcesBefore = try client.ok("source.list")
            for (command, args, code, fields) in cases {
                let error = try #require(try client.error(command, args), "\(command) \(args)")
                #expect(error.code == code, "\(command) \(args): \(error)")
                #expect(error.details.map(\.field).sorted() == fields, "\(command) \(args)")
                #expect(!error.message.isEmpty)
            }
            #expect(try client.ok("operator.list") == before)
            #expect(try client.ok("source.list") == sourcesBefore)
            #expect(try client.ok("request.list") == .array([]))
        }
        try await running.finish()
    }

    @Test func aCommandWithoutReplyToStillRuns() async throws {
        let running = await RunningService(label: "noreply")
        try await withClient(running.prefix, watching: nil) { client, _ in
            let connection = try AMQPConnection(url: brokerURL)
            try connection.openChannel()
            try connection.publish(exchange: "", routingKey: client.topology.control,
                                   body: Array(#"{"command":"operator.create","args":{"name":"Silent","max_load_limit":1}}"#.utf8))
            var names: [String] = []
            try? eventually(within: .seconds(10), "the operator created", read: { try client.ok("operator.list").array.compactMap { $0["name"]?.string } }) {
                names = $0
                return !$0.isEmpty
            }
            #expect(names == ["Silent"])
        }
        try await running.finish()
    }
}
