import Foundation
import PackagePlugin

/// Bundles `Contracts/openapi.yaml` and the JSON Schemas it references into one JSON
/// document, embedded in the target as Swift source, so the service serves the contract's
/// own files (not copies) with nothing to install beside the binary.
@main
struct EmbedOpenAPI: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let contracts = context.package.directoryURL.appending(path: "Contracts")
        let schemas = contracts.appending(path: "schemas")
        var inputs = [contracts.appending(path: "openapi.yaml")]
        if let files = FileManager.default.enumerator(at: schemas, includingPropertiesForKeys: nil) {
            for case let file as URL in files where file.pathExtension == "json" { inputs.append(file) }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "OpenAPIDocument+Embedded.swift")
        return [.buildCommand(
            displayName: "Bundling Contracts/openapi.yaml",
            executable: try context.tool(named: "openapi-bundle").url,
            arguments: [contracts.path(percentEncoded: false), output.path(percentEncoded: false)],
            inputFiles: inputs, outputFiles: [output])]
    }
}
