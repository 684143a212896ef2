import Foundation

/// One outgoing HTTP request, as a vendor client builds it.
public struct OutgoingRequest: Sendable {
    public var method: String
    /// The full URL, query included. It may hold a signature: never log it.
    public var url: String
    public var headers: [(String, String)] = []
    public var body: [UInt8]?
    /// Deadline for the whole exchange, in seconds.
    public var timeout: Double
}

/// A received HTTP response, its body already bounded.
public struct IncomingResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// `Retry-After` in seconds (delta-seconds or an HTTP date), if present and sane.
    public func retryAfter(now: Date) -> Double? {
        guard let value = header("Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds.isFinite, seconds >= 0 { return min(seconds, 86_400) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return min(max(0, date.timeIntervalSince(now)), 86_400)
    }

    /// The start of the body as text for an error message: at most `limit` characters, control characters removed.
    public func bodyExcerpt(limit: Int = 200) -> String {
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
        let cleaned = text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : String($0) }.joined()
        return String(cleaned.prefix(limit))
    }
}

/// Why an exchange produced no response. Descriptions never include the URL
/// (it may carry a signature) or any header value.
public enum HTTPTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL
    case timedOut(seconds: Double)
    case bodyTooLarge(limit: Int)
    case connectionFailed(String)
    case cancelled
    /// A header the client was asked to send is not valid HTTP; only its name is kept.
    case invalidHeader(name: String)

    /// The `polls.error_code` for this error.
    public var code: String {
        switch self {
        case .timedOut: return "timeout"
        case .bodyTooLarge: return "body_too_large"
        case .cancelled: return "cancelled"
        case .invalidURL, .connectionFailed, .invalidHeader: return "transport"
        }
    }

    public var description: String {
        switch self {
        case .invalidURL: return "invalid request URL"
        case .timedOut(let seconds): return "no complete response within \(DurationParser.format(seconds))"
        case .bodyTooLarge(let limit): return "response body larger than \(limit) bytes"
        case .connectionFailed(let reason): return "connection failed: \(reason)"
        case .cancelled: return "request cancelled"
        case .invalidHeader(let name):
            return "header \(name) holds a control character and was not sent (check the secret it is made from)"
        }
    }
}

/// Sends requests. The daemon uses AsyncHTTPClient; the protocol lets a
/// client be tested against any server.
public protocol HTTPTransport: Sendable {
    /// Performs one exchange within the request's timeout; never follows redirects.
    func perform(_ request: OutgoingRequest) async throws(HTTPTransportError) -> IncomingResponse
}
