import Foundation

/// A request as the simulator received it.
public struct SimulatedRequest: Sendable {
    public var method: String
    /// Path without the query.
    public var path: String
    /// The raw query string (after `?`), or "".
    public var rawQuery: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The first header of that name, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Query parameters, percent-decoded, in order.
    public var queryItems: [(String, String)] {
        rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name =
                String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
            let value =
                parts.count > 1
                ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1]))
                : ""
            return (name, value)
        }
    }

    /// The first query parameter of that name.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.0 == name }?.1
    }
}

/// What the simulator sends back, including the misbehaviours it can script.
public indirect enum SimulatedResponse: Sendable {
    /// An ordinary response.
    case reply(status: Int, headers: [(String, String)], body: [UInt8])
    /// The given response after a delay.
    case delayed(seconds: Double, SimulatedResponse)
    /// A TCP reset instead of an answer.
    case reset
    /// A 200 whose body streams `bytes` bytes (to test body limits).
    case oversized(bytes: Int)

    /// A JSON reply.
    public static func json(_ status: Int, _ text: String, headers: [(String, String)] = []) -> SimulatedResponse {
        .reply(
            status: status, headers: [("Content-Type", "application/json;charset=UTF-8")] + headers,
            body: Array(text.utf8))
    }
}

/// A failure the simulator can be told to produce for the next requests.
public enum SimulatedFault: Sendable, Equatable {
    /// HTTP 500 with a short text body.
    case serverError
    /// HTTP 502 with an HTML page (a proxy's error page).
    case html
    /// A 200 JSON body cut off halfway.
    case truncatedJSON
    /// A 200 with an empty body.
    case emptyBody
    /// A 200 with `Content-Type: text/plain` and non-JSON text.
    case wrongContentType
    /// The normal answer, `seconds` late.
    case slow(seconds: Double)
    /// A body of this many bytes.
    case oversized(bytes: Int)
    /// The connection is reset.
    case connectionReset
    /// HTTP 429 with `Retry-After`.
    case rateLimited(retryAfter: Int)

    /// The response for this fault, given the normal one.
    public func response(normal: SimulatedResponse) -> SimulatedResponse {
        switch self {
        case .serverError:
            return .reply(
                status: 500, headers: [("Content-Type", "text/plain")], body: Array("internal server error".utf8))
        case .html:
            return .reply(
                status: 502, headers: [("Content-Type", "text/html")],
                body: Array(
                    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>".utf8
                ))
        case .truncatedJSON:
            return .json(200, "{\"code\":200,\"status\":\"success\",\"data\":{\"mrLive")
        case .emptyBody:
            return .reply(status: 200, headers: [("Content-Type", "application/json")], body: [])
        case .wrongContentType:
            return .reply(status: 200, headers: [("Content-Type", "text/plain")], body: Array("OK".utf8))
        case .slow(let seconds):
            return .delayed(seconds: seconds, normal)
        case .oversized(let bytes):
            return .oversized(bytes: bytes)
        case .connectionReset:
            return .reset
        case .rateLimited(let retryAfter):
            return .json(
                429,
                "{\"code\":429,\"status\":\"error\",\"success\":false,\"error\":{\"code\":429,\"desc\":\"too many requests\"}}",
                headers: [("Retry-After", String(retryAfter))])
        }
    }
}

/// One vendor API served by the simulator.
public protocol SimulatedAPI: Sendable {
    /// True when this API answers `request`.
    func matches(_ request: SimulatedRequest) -> Bool
    /// The answer.
    func handle(_ request: SimulatedRequest) -> SimulatedResponse
}
