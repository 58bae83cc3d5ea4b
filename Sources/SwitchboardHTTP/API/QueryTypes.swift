import SwitchboardCore

/// What each read's query parameters are, as the OpenAPI document declares them: a query
/// string is all text, and `skill=0` is a skill named "0" while `limit=10` is a number. Read
/// from the document the service serves, so the two cannot disagree.
struct QueryTypes: Sendable {
    enum Kind: Sendable, Equatable {
        case integer, boolean, text
        indirect case list(Kind)
    }

    /// By path (as OpenAPI writes it), then by parameter name.
    let byPath: [String: [String: Kind]]

    static let served = QueryTypes(document: (try? JSONParser.parse(Array(APIDocument.bundled.utf8))) ?? .null)

    init(document: JSONValue) {
        var byPath: [String: [String: Kind]] = [:]
        guard case let .object(root) = document, case let .object(paths)? = root["paths"] else { self.byPath = [:]; return }
        for (path, item) in paths {
            guard case let .object(methods) = item, case let .object(get)? = methods["get"],
                  case let .array(parameters)? = get["parameters"] else { continue }
            for case let .object(parameter) in parameters {
                guard parameter["in"] == .string("query"), case let .string(name)? = parameter["name"] else { continue }
                byPath[path, default: [:]][name] = Self.kind(of: parameter["schema"], in: document)
            }
        }
        self.byPath = byPath
    }

    private static func kind(of schema: JSONValue?, in document: JSONValue, depth: Int = 0) -> Kind {
        guard depth < 8, case let .object(object)? = schema else { return .text }
        if case let .string(reference)? = object["$ref"], reference.hasPrefix("#/") {
            let target = reference.dropFirst(2).split(separator: "/").reduce(Optional(document)) { node, key in
                guard case let .object(fields)? = node else { return nil }
                return fields[String(key)]
            }
            return kind(of: target, in: document, depth: depth + 1)
        }
        switch object["type"] {
        case .string("integer")?: return .integer
        case .string("boolean")?: return .boolean
        case .string("array")?: return .list(kind(of: object["items"], in: document, depth: depth + 1))
        default: return .text
        }
    }

    /// A query's value as the argument it stands for; text the kind does not fit is left as
    /// text, for the command's parser to refuse naming the field.
    static func value(_ texts: [String], as kind: Kind) -> JSONValue {
        switch kind {
        case let .list(item):
            let parts = texts.count == 1 ? texts[0].split(separator: ",").map(String.init) : texts
            return .array(parts.map { value([$0], as: item) })
        case .integer:
            // `10.0` is a whole number too, as in a JSON body.
            let text = texts.last ?? ""
            if let whole = Int64(text) { return .integer(whole) }
            if let number = Double(text), number.isFinite { return .number(number) }
            return .string(text)
        case .boolean:
            return ["true": JSONValue.bool(true), "false": .bool(false)][texts.last ?? ""] ?? .string(texts.last ?? "")
        case .text:
            return .string(texts.last ?? "")
        }
    }
}
