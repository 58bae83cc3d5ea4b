import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardCore

/// A call's arguments as the command's parser reads them: the JSON body, or for a read the
/// query string, with the path's id set in.
enum APIArguments {
    /// The body's bytes, refused past `limit` (413) without reading the rest.
    static func bytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIRefusal.tooLarge(limit: limit)
        }
    }

    /// The body as JSON; nil when empty (a call like toggle-active sends none).
    static func body(_ request: Request, limit: Int) async throws -> JSONValue? {
        let bytes = try await bytes(request, limit: limit)
        guard bytes.contains(where: { !$0.isWhitespace }) else { return nil }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw APIRefusal.badRequest("the body is not valid JSON: \(error)", field: nil)
        }
        // The control queue reads `"args": null` as none; a body of `null` is a mistake.
        guard value != .null else { throw APIRefusal.badRequest("the body must be a JSON object, or empty", field: nil) }
        return value
    }

    /// The query's parameters as arguments, typed as the OpenAPI document declares them
    /// for the route's `path` (an unknown one is text, for the parser to refuse by name).
    static func query(_ request: Request, path: String) -> JSONValue? {
        let parameters = request.uri.queryParameters
        guard !parameters.isEmpty else { return nil }
        let kinds = QueryTypes.served.byPath[path] ?? [:]
        var texts: [String: [String]] = [:]
        for (key, value) in parameters { texts[String(key), default: []].append(String(value)) }
        return .object(texts.reduce(into: [:]) { object, entry in
            // One the document does not declare (min_level, which needs skill) is a number
            // when it reads as one.
            let kind = kinds[entry.key] ?? (entry.value.allSatisfy { Int64($0) != nil } ? .integer : .text)
            object[entry.key] = QueryTypes.value(entry.value, as: kind)
        })
    }

    /// A path segment's id: a number when it is one, else the text, which the parser refuses
    /// naming the field.
    static func pathValue(_ raw: String) -> JSONValue { QueryTypes.value([raw], as: .integer) }

    static func setting(_ key: String, to value: JSONValue, in args: JSONValue?) -> JSONValue? {
        switch args {
        case nil, .null?: return .object([key: value])
        case var .object(object)?:
            object[key] = value
            return .object(object)
        case let other?:
            // Not an object: left as sent, for the parser to refuse as the control queue would.
            return other
        }
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
