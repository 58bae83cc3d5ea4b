import Hummingbird

/// `/openapi.json` (Contracts/openapi.yaml, bundled at build time by the EmbedOpenAPI
/// plugin) and `/docs`, a page that reads it, lists the operations and tries them. No
/// Swagger UI: no CDN is reachable from where this runs, and the page is 200 lines the
/// project keeps, where Swagger UI's bundle is 1.5 MB someone would have to ship.
enum APIDocument {
    static func register(on router: Router<BasicRequestContext>) {
        let document = Array(bundled.utf8)
        router.get("openapi.json") { _, _ in HTTPSide.asset(document, "application/json") }
        router.get("docs") { _, _ in HTTPSide.asset(PackageResources.docs_html, "text/html; charset=utf-8") }
        router.get("docs.js") { _, _ in HTTPSide.asset(PackageResources.docs_js, "text/javascript; charset=utf-8") }
    }
}
