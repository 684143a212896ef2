import Foundation

/// One destination for alert notifications. Building the request and judging
/// the response are pure; `send` only adds the transport in between.
public protocol Notifier: Sendable {
    /// The notifier's configured name.
    var name: String { get }
    /// The request that delivers `notification`, built at `now` (signatures use it).
    func request(for notification: AlertNotification, now: Date) -> OutgoingRequest
    /// nil when `response` means delivered; otherwise why not.
    func check(_ response: IncomingResponse) -> NotifierError?
    /// How often firing alerts are sent again (Alertmanager), or nil.
    var resendInterval: Double? { get }
    /// The request that re-sends the still-firing alerts (Alertmanager), or nil.
    func resendRequest(firing: [AlertNotification], now: Date) -> OutgoingRequest?
}

extension Notifier {
    public var resendInterval: Double? { nil }

    public func resendRequest(firing: [AlertNotification], now: Date) -> OutgoingRequest? { nil }

    /// Sends `notification`; throws why it was not delivered.
    public func send(_ notification: AlertNotification, now: Date, transport: any HTTPTransport)
        async throws(NotifierError)
    {
        try await deliver(request(for: notification, now: now), transport: transport)
    }

    /// Performs `request` and judges the answer with `check`.
    public func deliver(_ request: OutgoingRequest, transport: any HTTPTransport) async throws(NotifierError) {
        let response: IncomingResponse
        do {
            response = try await transport.perform(request)
        } catch {
            throw .transport(error)
        }
        if let problem = check(response) { throw problem }
    }
}

/// Why a notification was not delivered. Never holds a URL, a token or a secret:
/// bodies are truncated and scrubbed of the notifier's secrets.
public enum NotifierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No response: connection refused, timeout, body too large.
    case transport(HTTPTransportError)
    /// A non-2xx status, with the start of the body.
    case http(status: Int, body: String)
    /// The service answered (usually 200) with its own error code in the body.
    case rejected(code: String, message: String)
    /// A 2xx whose body is not what the service sends on success.
    case invalidResponse(String)
    /// The service's "too fast" answer: not a failure; the message goes again after `retryAfter` seconds.
    case throttled(retryAfter: Double, detail: String)

    public var description: String {
        switch self {
        case .transport(let error): return "transport error: \(error)"
        case .http(let status, let body): return body.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(body)"
        case .rejected(let code, let message): return "rejected with error \(code): \(message)"
        case .invalidResponse(let detail): return "unexpected response: \(detail)"
        case .throttled(let retryAfter, let detail):
            return "throttled by the service (\(detail)); retry in \(DurationParser.format(retryAfter))"
        }
    }

    /// False when sending the same payload again cannot succeed (the service refused
    /// the payload itself: HTTP 400, 413, 422): it is given up at once.
    /// Everything else (the service down, a bad token or signature that a reload can
    /// fix, rate limits) is retried with backoff until `give_up_after`.
    public var isRetryable: Bool {
        if case .http(let status, _) = self { return ![400, 413, 422].contains(status) }
        return true
    }

    /// The HTTP error for a non-2xx status, its body excerpt scrubbed.
    static func unlessSuccess(_ response: IncomingResponse, redactor: Redactor) -> NotifierError? {
        guard (200..<300).contains(response.status) else {
            return .http(status: response.status, body: redactor(response.bodyExcerpt(limit: 200)))
        }
        return nil
    }

    /// Checks a chat robot's JSON answer: `codeKeys` holds the error code (0 is success), `messageKeys` its text;
    /// `throttled` maps the service's "too fast" codes to the wait before the next try.
    static func checkJSONCode(
        _ response: IncomingResponse, codeKeys: [String], messageKeys: [String], redactor: Redactor,
        throttled: (Int64) -> Double? = { _ in nil }
    ) -> NotifierError? {
        if let problem = unlessSuccess(response, redactor: redactor) { return problem }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            return .invalidResponse("not a JSON object: \(redactor(response.bodyExcerpt(limit: 120)))")
        }
        guard let key = codeKeys.first(where: { object[$0] != nil }) else {
            return .invalidResponse(
                "no \(codeKeys.joined(separator: " or ")) field: \(redactor(response.bodyExcerpt(limit: 120)))")
        }
        let code = (object[key] as? NSNumber)?.int64Value ?? Int64((object[key] as? String) ?? "") ?? -1
        guard code == 0 else {
            let message = messageKeys.lazy.compactMap { object[$0] as? String }.first ?? ""
            if let wait = throttled(code) {
                return .throttled(retryAfter: wait, detail: "error \(code): \(redactor(String(message.prefix(120))))")
            }
            return .rejected(code: String(code), message: redactor(String(message.prefix(200))))
        }
        return nil
    }
}

/// Helpers shared by the notifiers.
/// A notifier made from one `notifiers:` entry: its name is the configured one, and it
/// delivers a JSON body by POST.
public protocol ConfiguredNotifier: Notifier {
    var configuration: NotifierConfiguration { get }
}

extension ConfiguredNotifier {
    public var name: String { configuration.name }

    /// Removes the URL's tokens and the configured secrets from text bound for an error.
    var redactor: Redactor { NotifierSupport.redactor(url: configuration.url.reveal(), secrets: configuration.secrets) }

    /// POST of `body` as JSON to `url` (default: the configured URL), with the configured timeout.
    func postJSON(_ body: JSONValue, to url: String? = nil) -> OutgoingRequest {
        OutgoingRequest(
            method: "POST", url: url ?? configuration.url.reveal(), headers: NotifierSupport.jsonHeaders,
            body: body.bytes, timeout: configuration.timeout)
    }
}

/// A notifier whose request is its JSON payload POSTed to the configured URL.
public protocol JSONPayloadNotifier: ConfiguredNotifier {
    /// The JSON body that delivers `notification`.
    func payload(for notification: AlertNotification) -> JSONValue
}

extension JSONPayloadNotifier {
    public func request(for notification: AlertNotification, now: Date) -> OutgoingRequest {
        postJSON(payload(for: notification))
    }
}

enum NotifierSupport {
    static let jsonHeaders = [("Content-Type", "application/json; charset=utf-8")]

    /// Everything in a URL that may be a token: the whole URL, query values, and path parts that look
    /// like tokens (16 characters or more, or 8 or more with a digit; not words such as `services`).
    static func redactor(url: String, secrets: [Secret]) -> Redactor {
        var parts = [url] + secrets.map { $0.reveal() }
        if let components = URLComponents(string: url) {
            parts += (components.queryItems ?? []).compactMap(\.value)
            parts += components.path.split(separator: "/").map(String.init).filter { part in
                part.count >= 16 || (part.count >= 8 && part.contains(where: \.isNumber))
            }
            if let query = components.percentEncodedQuery { parts.append(query) }
        }
        return Redactor(parts)
    }

    /// `text` cut to at most `limit` UTF-8 bytes, on a character boundary, with an ellipsis when cut.
    static func truncated(_ text: String, bytes limit: Int) -> String {
        truncated(text, limit: limit) { $0.utf8.count }
    }

    /// `text` cut so that `size` of it is at most `limit`, on a character boundary, with an ellipsis when cut.
    /// `size` must add up over concatenation (UTF-8 bytes, JSON-escaped bytes).
    static func truncated(_ text: String, limit: Int, size: (String) -> Int) -> String {
        guard size(text) > limit else { return text }
        let ellipsis = size("…")
        var result = ""
        var used = 0
        for character in text {
            let characterSize = size(String(character))
            if used + characterSize > limit - ellipsis { break }
            result.append(character)
            used += characterSize
        }
        return result + "…"
    }

    /// The bytes `text` takes inside a JSON string (escapes included, quotes not).
    static func jsonSize(_ text: String) -> Int {
        JSONText.quote(text).utf8.count - 2
    }

    /// Go's zero time, which Alertmanager writes as the `endsAt` of an alert still firing.
    static let zeroTime = "0001-01-01T00:00:00Z"
}
