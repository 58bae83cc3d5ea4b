import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import SwitchboardCore
import SwitchboardService
import SwitchboardStore

/// The HTTP side of the service (docs/design.md, and ../shared/DESIGN.md "HTTP beside the writer"): probes, Prometheus
/// metrics, the supervisors' dashboard, and the HTTP API, whose calls go to the writer
/// through its inbox. It runs in the service's `ServiceGroup` on the
/// concurrency pool and never touches the writer's database connection or the broker
/// connections: it reads the database through read-only connections of its own, the
/// writer's running totals, and the events the writer hands to the ``EventFeed``.
public struct HTTPSide: Service {
    let service: SwitchboardService
    let exposition: MetricsExposition
    let address: HTTPAddress
    let token: BearerToken
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    /// `onListening` is told the port once the server listens (port 0 asks for any free one).
    public init(service: SwitchboardService, exposition: MetricsExposition, address: HTTPAddress, token: String?, logger: Logger,
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.service = service
        self.exposition = exposition
        self.address = address
        self.token = BearerToken(token: token)
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let activity = Activity(metrics: service.metrics)
        let reader = ReaderOnDemand(location: service.configuration.storeLocation)
        let health = service.health
        let frame: @Sendable () -> FloorFrame = {
            let phase = health.phase
            do {
                return FloorFrame(floor: try reader.floor(), activity: activity.samples, status: phase.reason, role: phase.role)
            } catch {
                return FloorFrame(floor: nil, activity: activity.samples, status: phase.reason, role: phase.role, error: "\(error)")
            }
        }
        let router = Router()
        let token = token, exposition = exposition, feed = service.feed
        router.get("healthz") { _, _ in Probes.health(health.phase) }
        router.get("readyz") { _, _ in Probes.readiness(health.phase) }
        router.get("metrics") { request, _ -> Response in
            guard token.admits(request) else { return token.refusal() }
            do {
                let text = exposition.render(try reader.floor(), role: health.phase.role)
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
            } catch {
                return Probes.json(.serviceUnavailable, ["error": "cannot read the database: \(error)"])
            }
        }
        router.get("/") { request, _ -> Response in
            guard token.admits(request) else { return token.refusal(PackageResources.login_html, contentType: "text/html; charset=utf-8") }
            return Self.asset(PackageResources.index_html, "text/html; charset=utf-8")
        }
        router.get("dashboard.js") { _, _ in Self.asset(PackageResources.dashboard_js, "text/javascript; charset=utf-8") }
        router.get("dashboard.css") { _, _ in Self.asset(PackageResources.dashboard_css, "text/css; charset=utf-8") }
        router.get("feed") { request, _ -> Response in
            guard token.admits(request) else { return token.refusal() }
            return LiveFeed(feed: feed, frame: frame).response()
        }
        let configuration = service.configuration
        HTTPAPI(inbox: service.inbox, health: health, tokens: configuration.apiTokens, bodyLimit: configuration.httpBodyLimit, reader: reader)
            .register(on: router)
        APIDocument.register(on: router)

        let onListening = onListening, logger = logger, address = address
        let listening = Atomic(false)
        let app = Application(
            router: router,
            // A client that sends nothing for 30 s is dropped: a slow or stuck one holds a
            // connection, never the writer.
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "switchboard"),
            onServerRunning: { channel in
                listening.store(true, ordering: .relaxed)
                let port = channel.localAddress?.port ?? address.port
                logger.info("HTTP listening", metadata: ["address": "\(HTTPAddress(host: address.host, port: port))"])
                onListening(port)
            },
            logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await activity.run() }
                try await app.run()
                group.cancelAll()
            }
        } catch let error as IOError where !listening.load(ordering: .relaxed) {
            // Binding failed: a setting to change, said as such, not NIO's bare errno.
            throw ServiceFailure.cannotListen(on: address, errno: error.errnoCode)
        }
    }

    static func asset(_ bytes: [UInt8], _ contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The read-only connections, opened at the first read: the HTTP side may start before the
/// writer has created the database.
final class ReaderOnDemand: Sendable {
    private let location: StoreLocation
    private let reader = Mutex<StoreReader?>(nil)

    init(location: StoreLocation) { self.location = location }

    func floor() throws -> FloorSnapshot { try opened().floor() }

    func requestDetail(id: Int64) throws -> RequestDetail { try opened().requestDetail(id: id) }

    private func opened() throws -> StoreReader {
        try reader.withLock { reader in
            if let reader { return reader }
            let made = try StoreReader(location: location)
            reader = made
            return made
        }
    }
}
