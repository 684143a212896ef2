import Foundation

/// A JSON value whose objects keep their key order, so payloads are byte-for-byte
/// predictable (tests compare them with fixed expected JSON).
public indirect enum JSONValue: Sendable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case integer(Int64)
    case bool(Bool)
    case null

    /// The compact JSON text.
    public var rendered: String {
        switch self {
        case .object(let members):
            return "{" + members.map { JSONText.quote($0.0) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        case .array(let items):
            return "[" + items.map(\.rendered).joined(separator: ",") + "]"
        case .string(let text):
            return JSONText.quote(text)
        case .number(let value):
            return AlertLine.number(value)
        case .integer(let value):
            return String(value)
        case .bool(let value):
            return value ? "true" : "false"
        case .null:
            return "null"
        }
    }

    /// The UTF-8 bytes of `rendered`.
    public var bytes: [UInt8] { Array(rendered.utf8) }

    /// An object of string values, keys sorted (as Go marshals a map).
    public static func sortedStrings(_ values: [String: String]) -> JSONValue {
        .object(values.keys.sorted().map { ($0, .string(values[$0] ?? "")) })
    }
}
