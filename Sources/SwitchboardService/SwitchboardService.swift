import AMQP
import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import SwitchboardCore
import SwitchboardStore

/// The Switchboard service as a swift-service-lifecycle `Service`: opens the database, runs
/// the pipeline on a thread of its own (rabbitmq-c blocks; the concurrency pool must not),
/// and on graceful shutdown (SIGTERM/SIGINT through the ServiceGroup) lets the batch in hand
/// finish and be acked before returning.
public final class SwitchboardService: Service, Sendable {
    public let configuration: SwitchboardServiceConfiguration
    public let metrics: ServiceMetrics
    /// The events the broker confirmed, for live listeners (the dashboard).
    public let feed = EventFeed()
    /// The HTTP API's calls to the writer.
    public let inbox = WriterInbox()
    private let metricsFactory: any MetricsFactory
    private let control = PipelineControl()
    private let logger: Logger

    /// `metricsFactory` receives the writer's counters and histograms (swift-metrics); by
    /// default they go nowhere.
    public init(configuration: SwitchboardServiceConfiguration, logger: Logger,
                metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.configuration = configuration
        self.logger = logger
        self.metricsFactory = metricsFactory
        self.metrics = ServiceMetrics(factory: metricsFactory)
    }

    public func run() async throws {
        start()
        await withTaskCancellationOrGracefulShutdownHandler {
            await control.waitUntilFinished()
        } onCancelOrGracefulShutdown: {
            self.logger.info("shutting down: finishing the batch in hand")
            self.control.requestStop()
        }
        if let failure = control.failure { throw failure }
    }

    /// Starts the pipeline thread (``run()`` does this; tests may drive it directly).
    public func start() {
        let configuration = configuration, control = control, metrics = metrics, logger = logger, feed = feed, inbox = inbox
        let factory = metricsFactory
        Self.warnAboutRoles(configuration, logger: logger)
        if let seed = configuration.randomSeed {
            logger.warning("SWITCHBOARD_RANDOM_SEED is set: the weighted draw repeats its choices at every start (for tests and replays, not production)",
                           metadata: ["seed": "\(seed)"])
        }
        let thread = Thread {
            // The store is released (and the database closed) before anyone hears we finished.
            let failure: ServiceFailure? = {
                // A store whose PostgreSQL session was lost can write nothing more: the
                // pipeline has stopped consuming, and the store is opened again, standing by
                // if another instance took the writer's lock meanwhile.
                while true {
                    do {
                        guard let store = try Self.openStore(configuration, control: control, logger: logger) else { return nil }
                        logger.info("database open", metadata: [
                            "db": "\(configuration.storeLocation)", "store_id": "\(store.storeId)", "writer_epoch": "\(store.writerEpoch)",
                        ])
                        let pipeline = Pipeline(configuration: configuration, store: store, control: control, metrics: metrics,
                                                figures: WriterMetrics(factory: factory), feed: feed, inbox: inbox, logger: logger)
                        switch pipeline.run() {
                        case .stopped: return nil
                        case let .failed(why): return why
                        case .lostStore: continue
                        }
                    } catch {
                        control.health.set(.databaseUnavailable(StoreFailure(error).description))
                        let failure = ServiceFailure.cannotOpenStore(configuration.storeLocation, error: error)
                        logger.critical("\(failure)")
                        return failure
                    }
                }
            }()
            control.markFinished(failure: failure)
        }
        thread.name = "switchboard-pipeline"
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// Opens the store, standing by while another process writes the same database (its
    /// lock goes when that process or its session does, however it ends), and trying again
    /// while a PostgreSQL server cannot be reached. nil: asked to stop meanwhile.
    private static func openStore(_ configuration: Configuration, control: PipelineControl, logger: Logger) throws -> SwitchboardStore? {
        var stoodBy = false
        var unreachable = ReconnectBackoff(cap: configuration.maxReconnectDelay)
        while !control.isStopRequested {
            do {
                let store = try SwitchboardStore(location: configuration.storeLocation,
                                                 random: configuration.randomSeed.map(SplitMix64.init(seed:)) ?? SplitMix64(),
                                                 awayAfterMissed: configuration.awayAfterMissed,
                                                 access: configuration.access, archiveDirectory: configuration.archiveDirectory)
                if stoodBy {
                    logger.notice("taking over: the database is free", metadata: ["db": "\(configuration.storeLocation)"])
                } else if unreachable.failures > 0 {
                    logger.notice("the database answers again", metadata: ["db": "\(configuration.storeLocation)"])
                }
                return store
            } catch let error as StoreError where error.isHeldElsewhere {
                if !stoodBy {
                    logger.notice("standing by: \(error)")
                    control.health.set(.standby("\(error)"))
                }
                stoodBy = true
                control.sleep(.milliseconds(250))
            } catch where SwitchboardStore.isSessionLost(error) {
                let pause = unreachable.failed()
                if unreachable.failures == 1 {
                    logger.error("cannot reach the database; trying again", metadata: ["db": "\(configuration.storeLocation)", "error": "\(error)"])
                    control.health.set(.databaseUnavailable(StoreFailure(error).description))
                }
                control.sleep(pause)
            }
        }
        return nil
    }

    private static func warnAboutRoles(_ configuration: Configuration, logger: Logger) {
        for variable in configuration.rolesWithBlanks {
            logger.warning("blank entries in \(variable.name) were ignored")
        }
        if configuration.access.isOpen {
            logger.warning("roles are not set: every broker user may run every command (set SWITCHBOARD_ADMIN_USERS and SWITCHBOARD_CONSOLE_USERS)")
        } else {
            logger.info("roles", metadata: [
                "admins": "\(configuration.access.admins.sorted().joined(separator: ","))",
                "consoles": "\(configuration.access.consoles.subtracting(configuration.access.admins).sorted().joined(separator: ","))",
            ])
        }
    }

    public func stop() { control.requestStop() }
    /// Where the service stands, for the probes.
    public var health: ServiceHealth { control.health }
    public func waitUntilReady() async { await control.waitUntilReady() }
    public func waitUntilFinished() async { await control.waitUntilFinished() }
}


extension SwitchboardService {
    public typealias Configuration = SwitchboardServiceConfiguration
    public static let version = SwitchboardStore.version
}

/// The process environment as a dictionary (a seam for the executable's flags).
public enum ProcessEnvironment {
    public static var current: [String: String] { ProcessInfo.processInfo.environment }
}
