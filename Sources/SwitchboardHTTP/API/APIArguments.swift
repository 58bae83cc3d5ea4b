import Foundation
import HTTPTypes
import Hummingbird
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
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIRefusal.tooLarge(limit: limit)
        }
    }

    /// The body as JSON; nil when empty (a call like toggle-active sends none).
    static func body(_ request: Request, limit: Int) async throws -> JSONValue? {
        let bytes = try await bytes(request, limit: limit)
        guard bytes.contains(where: { !$0.isWhitespace }) else { return nil }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw APIRefusal.badRequest("the body is not valid JSON: \(error)", field: nil)
        }
    }

    /// The query's parameters as arguments: a whole number is a number and `true`/`false`
    /// a boolean, as a JSON body would carry them; the command's parser names any that do
    /// not fit.
    static func query(_ request: Request) -> JSONValue? {
        let parameters = request.uri.queryParameters
        guard !parameters.isEmpty else { return nil }
        var object: [String: JSONValue] = [:]
        for (key, value) in parameters {
            object[String(key)] = scalar(String(value))
        }
        return .object(object)
    }

    /// A path segment's id: a number when it is one, else the text, which the parser refuses
    /// naming the field.
    static func pathValue(_ raw: String) -> JSONValue { scalar(raw) }

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

    private static func scalar(_ text: String) -> JSONValue {
        if let number = Int64(text) { return .integer(number) }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        return .string(text)
    }
}

private extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
