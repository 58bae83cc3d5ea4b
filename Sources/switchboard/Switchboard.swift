import AMQP
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SwitchboardHTTP
import SwitchboardService

@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Routes customer requests from RabbitMQ to operators by weighted random choice.",
        discussion: """
            Configuration comes from the environment; the flags below override it.

            \(ConfigurationVariable.help)

            Ready once it answers a control command (service.status). SIGTERM or SIGINT: the batch in hand is finished and acked, the connections close, exit status 0.
            Exit status 78 (EX_CONFIG): a setting must change (the message names the variable); 70: a fault in this program; 1: any other failure.
            """)

    @Option(name: .long, help: "Broker URL, or a cluster's nodes comma-separated (SWITCHBOARD_AMQP_URL).") var amqpURL: String?
    @Option(name: .long, help: "SQLite database file, or a postgres:// URL (SWITCHBOARD_DB).") var db: String?
    @Option(name: .long, help: "Queue and exchange name prefix (SWITCHBOARD_PREFIX).") var prefix: String?
    @Option(name: .long, help: "quorum or classic (SWITCHBOARD_QUEUE_TYPE).") var queueType: String?
    @Option(name: .long, help: "Most deliveries in one transaction (SWITCHBOARD_BATCH_SIZE).") var batchSize: Int?
    @Option(name: .long, help: "Unacked deliveries the broker may send ahead (SWITCHBOARD_PREFETCH).") var prefetch: Int?
    @Option(name: .long, help: "AMQP heartbeat in seconds, 0 disables (SWITCHBOARD_HEARTBEAT).") var heartbeat: Int?
    @Option(name: .long, help: "Log level (SWITCHBOARD_LOG_LEVEL).") var logLevel: String?
    /// The service starts itself with it for each `replay.run` (ReplayWorker).
    @Flag(name: .customLong(String(ReplayWorker.flag.dropFirst(2))), help: .hidden) var replayWorker = false

    func run() async throws {
        if replayWorker { Foundation.exit(ReplayWorker.main()) }
        var environment = ProcessEnvironment.current
        environment["SWITCHBOARD_AMQP_URL"] = amqpURL ?? environment["SWITCHBOARD_AMQP_URL"]
        environment["SWITCHBOARD_DB"] = db ?? environment["SWITCHBOARD_DB"]
        environment["SWITCHBOARD_PREFIX"] = prefix ?? environment["SWITCHBOARD_PREFIX"]
        environment["SWITCHBOARD_QUEUE_TYPE"] = queueType ?? environment["SWITCHBOARD_QUEUE_TYPE"]
        environment["SWITCHBOARD_BATCH_SIZE"] = batchSize.map(String.init) ?? environment["SWITCHBOARD_BATCH_SIZE"]
        environment["SWITCHBOARD_PREFETCH"] = prefetch.map(String.init) ?? environment["SWITCHBOARD_PREFETCH"]
        environment["SWITCHBOARD_HEARTBEAT"] = heartbeat.map(String.init) ?? environment["SWITCHBOARD_HEARTBEAT"]
        environment["SWITCHBOARD_LOG_LEVEL"] = logLevel ?? environment["SWITCHBOARD_LOG_LEVEL"]
        let configuration: SwitchboardService.Configuration
        do {
            configuration = try .fromEnvironment(environment)
        } catch {
            throw Self.exit(ServiceFailure(error))
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "switchboard")
        logger.info("starting", metadata: [
            "version": "\(SwitchboardService.version)", "broker": "\(configuration.brokers)", "db": "\(configuration.storeLocation)",
        ])
        let exposition = MetricsExposition(maxOperators: configuration.metricsMaxOperators)
        let service = SwitchboardService(configuration: configuration, logger: logger, metricsFactory: exposition.factory)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service)]
        if let address = configuration.http {
            services.append(.init(service: HTTPSide(service: service, exposition: exposition, address: address,
                                                    token: configuration.httpToken, logger: logger)))
        }
        // Either one ending ends both: a router without its probes, or probes without the
        // router, would only mislead.
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let failure as ServiceFailure {
            throw Self.exit(failure)
        }
    }

    /// Says why on stderr, one line an operator can act on, and ends with the failure's status.
    private static func exit(_ failure: ServiceFailure) -> ExitCode {
        FileHandle.standardError.write(Data("switchboard: \(failure)\n".utf8))
        return ExitCode(failure.exitStatus)
    }
}
