// Messages per second through the AMQP layer: publishing persistent messages with publisher
// confirms (awaited every `window` messages), and consuming them with prefetch and a
// multiple ack every 100. The same run also times Benchmarks/amqp-reference (the same work
// written straight against rabbitmq-c in C) when scripts/amqp-bench has built it, and prints
// the ratio.
//
//   swift run -c release amqp-bench [messages] [path-to-c-reference]
import AMQP
import Foundation

let count = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 50_000
let reference = CommandLine.arguments.dropFirst(2).first
let url = try AMQPURL(parsing: ProcessInfo.processInfo.environment["SWITCHBOARD_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2f")
let window = 500
let body = Array(String(repeating: "x", count: 200).utf8)

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func runSwift(queueType: String) throws -> (publish: Double, consume: Double) {
    let connection = try AMQPConnection(url: url, options: .init(connectionName: "amqp-bench"))
    try connection.openChannel()
    let queue = "amqp-bench.\(queueType).\(UUID().uuidString.prefix(8))"
    try connection.declareQueue(queue, durable: true, arguments: ["x-queue-type": .string(queueType)])
    defer { _ = try? connection.deleteQueue(queue) }
    try connection.enableConfirms()
    let properties = AMQPProperties(contentType: "application/octet-stream", persistent: true)
    let publish = try ContinuousClock().measure {
        for index in 0..<count {
            try connection.publish(exchange: "", routingKey: queue, body: body, properties: properties)
            if index % window == window - 1 { try connection.waitForConfirms() }
        }
        try connection.waitForConfirms()
    }
    let consumer = try AMQPConnection(url: url, options: .init(connectionName: "amqp-bench consumer"))
    try consumer.openChannel()
    try consumer.setPrefetch(1_000)
    try consumer.consume(queue: queue)
    var received = 0
    let consume = try ContinuousClock().measure {
        while received < count, let delivery = try consumer.nextDelivery(timeout: .seconds(10)) {
            received += 1
            if received % 100 == 0 || received == count { try consumer.ack(delivery.deliveryTag, multiple: true) }
        }
    }
    guard received == count else { throw AMQPError.timeout(operation: "consuming: got \(received) of \(count)") }
    return (Double(count) / seconds(publish), Double(count) / seconds(consume))
}

func runReference(_ path: String, queueType: String) throws -> (publish: Double, consume: Double)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = [String(count), String(window), queueType]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let numbers = output.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
    guard process.terminationStatus == 0, numbers.count == 2 else { return nil }
    return (numbers[0], numbers[1])
}

print("amqp-bench: \(count) persistent messages of \(body.count) bytes, confirms every \(window), prefetch 1000, ack every 100")
for queueType in ["classic", "quorum"] {
    let swift = try runSwift(queueType: queueType)
    print(String(format: "%-8@ Swift AMQP layer:   publish+confirm %8.0f msg/s   consume+ack %8.0f msg/s", queueType as NSString, swift.publish, swift.consume))
    if let reference, let c = try runReference(reference, queueType: queueType) {
        print(String(format: "%-8@ rabbitmq-c in C:    publish+confirm %8.0f msg/s   consume+ack %8.0f msg/s", queueType as NSString, c.publish, c.consume))
        print(String(format: "%-8@ ratio Swift / C:    publish+confirm %8.2f         consume+ack %8.2f", queueType as NSString, swift.publish / c.publish, swift.consume / c.consume))
    }
}
