// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .executable(name: "switchboardctl", targets: ["switchboardctl"]),
        .library(name: "AMQP", targets: ["AMQP"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "SwitchboardCore", targets: ["SwitchboardCore"]),
        .library(name: "SwitchboardStore", targets: ["SwitchboardStore"]),
        .library(name: "SwitchboardService", targets: ["SwitchboardService"]),
        .library(name: "SwitchboardClient", targets: ["SwitchboardClient"]),
        .library(name: "SwitchboardReplay", targets: ["SwitchboardReplay"]),
        .library(name: "SwitchboardHTTP", targets: ["SwitchboardHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // Reads Contracts/openapi.yaml at build time (the openapi-bundle tool), never at run time.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Hummingbird's own header types, named directly for Idempotency-Key.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .target(name: "CAMQPShims", dependencies: ["CRabbitMQ"]),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(name: "Postgres", dependencies: ["CLibPQ"], swiftSettings: strict),
        // The same system SQLite GRDB links, for binding and stepping GRDB's cached statements
        // directly on the store's hot path.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "AMQP", dependencies: ["CRabbitMQ", "CAMQPShims"], swiftSettings: strict),
        .target(name: "SwitchboardCore", swiftSettings: strict),
        .target(
            name: "SwitchboardStore",
            dependencies: [
                "SwitchboardCore", "CSQLite", "Postgres", .product(name: "GRDB", package: "GRDB.swift"),
                // The archive's gzip members: zlib through a kept wrapper, not by hand.
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchboardService",
            dependencies: [
                "AMQP", "SwitchboardCore", "SwitchboardStore", "SwitchboardReplay",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(name: "SwitchboardClient", dependencies: ["AMQP", "SwitchboardCore"], swiftSettings: strict),
        // The what-if replay: the store's own routing on a scratch database and a simulated clock.
        .target(
            name: "SwitchboardReplay",
            dependencies: ["SwitchboardCore", "SwitchboardStore", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchboardHTTP",
            dependencies: [
                "SwitchboardCore", "SwitchboardStore", "SwitchboardService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // Hummingbird's own NIO: a bind failure arrives as its IOError.
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.embedInCode("Dashboard")],
            swiftSettings: strict,
            plugins: ["EmbedOpenAPI"]
        ),
        .executableTarget(name: "openapi-bundle", dependencies: [.product(name: "Yams", package: "Yams")], path: "Tools/openapi-bundle",
                          swiftSettings: strict),
        .plugin(name: "EmbedOpenAPI", capability: .buildTool(), dependencies: ["openapi-bundle"]),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "SwitchboardService", "SwitchboardHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "switchboardctl",
            dependencies: [
                "AMQP", "SwitchboardCore", "SwitchboardClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "amqp-bench", dependencies: ["AMQP"], path: "Benchmarks/amqp-bench", swiftSettings: strict),
        .executableTarget(
            name: "store-bench",
            dependencies: ["SwitchboardCore", "SwitchboardStore", "BrokerTestSupport", "Postgres", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/store-bench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "switchboard-bench",
            dependencies: [
                "AMQP", "SwitchboardCore", "SwitchboardClient", "SwitchboardService", "SwitchboardStore", "BrokerTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/service-bench",
            swiftSettings: strict
        ),
        .target(name: "BrokerTestSupport", dependencies: ["Postgres"], path: "Tests/BrokerTestSupport", swiftSettings: strict),
        .testTarget(name: "AMQPTests", dependencies: ["AMQP", "BrokerTestSupport"], swiftSettings: strict),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "BrokerTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SwitchboardCoreTests",
            dependencies: ["SwitchboardCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strict
        ),
        // The writer's decisions and the documentation, checked with no broker or database server.
        .testTarget(
            name: "SwitchboardServiceUnitTests",
            dependencies: [
                "SwitchboardService", "SwitchboardStore", "SwitchboardCore", "BrokerTestSupport", "Postgres",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchboardStoreTests",
            dependencies: [
                "SwitchboardStore", "SwitchboardCore", "SwitchboardReplay", "BrokerTestSupport", "Postgres",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchboardServiceTests",
            dependencies: [
                "SwitchboardService", "SwitchboardClient", "AMQP", "SwitchboardCore", "SwitchboardStore", "BrokerTestSupport",
                "SwitchboardHTTP",
            ],
            swiftSettings: strict
        ),
    ]
)
