import Foundation
import SwitchboardService
import Testing

/// Every variable the service reads, as the sources name them: the list the docs and --help
/// are checked against. Read from the source, so a variable read without the enum shows too.
enum SwitchboardServiceVariables {
    static var all: [String] { ConfigurationVariable.allCases.map(\.name) }

    /// `SWITCHBOARD_…` names in the service's and the executable's sources.
    static func named(inSourcesOf folders: [String]) throws -> Set<String> {
        var names: Set<String> = []
        for folder in folders {
            let root = repositoryRoot.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: root.path) where file.hasSuffix(".swift") {
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                for match in text.matches(of: /"(SWITCHBOARD_[A-Z_]+)"/) { names.insert(String(match.1)) }
            }
        }
        return names
    }
}

/// The README and docs/ stay true to the code: every variable documented, every link
/// pointing somewhere, the README short.
@Suite struct DocumentationTests {
    static func read(_ path: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    }

    static var pages: [String] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("docs").path)) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
    }

    @Test func everyVariableTheServiceReadsIsInTheConfigurationTable() throws {
        let page = try Self.read("docs/configuration.md")
        for variable in ConfigurationVariable.allCases {
            let row = page.split(separator: "\n").first { $0.hasPrefix("| `\(variable.name)` |") }
            #expect(row != nil, "\(variable.name) has a row in docs/configuration.md")
            if let row, !variable.defaultValue.isEmpty {
                #expect(row.replacingOccurrences(of: "`", with: "").contains(variable.defaultValue), "\(variable.name)'s default in: \(row)")
            }
        }
    }

    @Test func noVariableIsReadOutsideTheOneList() throws {
        let named = try SwitchboardServiceVariables.named(inSourcesOf: ["Sources/SwitchboardService", "Sources/switchboard"])
        #expect(named.subtracting(SwitchboardServiceVariables.all).isEmpty, "read without ConfigurationVariable: \(named.subtracting(SwitchboardServiceVariables.all))")
    }

    @Test func theReadmeIsShortAndEveryLinkInTheDocsPointsSomewhere() throws {
        #expect(try Self.read("README.md").split(separator: "\n", omittingEmptySubsequences: false).count <= 200)
        for page in Self.pages {
            let text = try Self.read(page)
            let folder = repositoryRoot.appendingPathComponent(page).deletingLastPathComponent()
            for match in text.matches(of: /\]\(([^)\s]+)\)/) {
                let target = String(match.1)
                if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("mailto:") { continue }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let file = parts[0].isEmpty ? repositoryRoot.appendingPathComponent(page) : folder.appendingPathComponent(parts[0])
                #expect(FileManager.default.fileExists(atPath: file.standardizedFileURL.path), "\(page): \(target) points nowhere")
                if parts.count == 2, file.pathExtension == "md", let linked = try? String(contentsOf: file, encoding: .utf8) {
                    #expect(Self.anchors(of: linked).contains(parts[1]), "\(page): no heading #\(parts[1]) in \(parts[0])")
                }
            }
        }
    }

    /// GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.
    static func anchors(of markdown: String) -> Set<String> {
        var anchors: Set<String> = []
        var inCode = false
        for line in markdown.split(separator: "\n") {
            if line.hasPrefix("```") { inCode.toggle() }
            guard !inCode, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
            anchors.insert(String(title.compactMap { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : $0 == " " ? "-" : nil }))
        }
        return anchors
    }

    @Test func anchorsAreMadeAsGitHubMakesThem() {
        #expect(Self.anchors(of: "# Top\n## Standby instances\n```\n# not a heading\n```\n## Closed requests: archived, then deleted")
            == ["top", "standby-instances", "closed-requests-archived-then-deleted"])
    }
}
