import Foundation

/// `type: slack`: a Slack incoming webhook, `{"text": ...}` in mrkdwn. Slack
/// answers the plain text `ok`; anything else (e.g. `invalid_payload`,
/// `no_service`, `channel_is_archived`) is an error. An incoming webhook may post about one
/// message a second; beyond that Slack answers HTTP 429 with `Retry-After`.
public struct SlackNotifier: JSONPayloadNotifier, ChatNotifier {
    /// One message a second; Slack truncates a text longer than 40,000 characters (counted here
    /// as UTF-8 bytes, never fewer than the characters).
    public static let limits = ChatServiceLimits(rates: [.init(messages: 1, window: 1)], messageLimit: 40_000)
    /// The wait when a 429 states none.
    public static let defaultThrottleWait = 30.0

    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public func check(_ response: IncomingResponse) -> NotifierError? {
        if response.status == 429 {
            let wait = response.retryAfter(now: Date()) ?? Self.defaultThrottleWait
            return .throttled(retryAfter: wait, detail: "HTTP 429")
        }
        if let problem = NotifierError.unlessSuccess(response, redactor: redactor) { return problem }
        let body = String(decoding: response.body.prefix(64), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        guard body == "ok" else {
            return .rejected(code: "slack", message: redactor(response.bodyExcerpt(limit: 120)))
        }
        return nil
    }

    /// `{"text": "*headline*\n..."}`.
    public func payload(for notification: AlertNotification) -> JSONValue {
        let text = "*\(notification.headline)*\n" + notification.details.joined(separator: "\n")
        return .object([("text", .string(NotifierSupport.truncated(text, bytes: 36_000)))])
    }

    public func request(text: String, title: String, now: Date) -> OutgoingRequest {
        postJSON(.object([("text", .string(text))]))
    }

    public func header(_ summary: String) -> String { "*\(summary)*" }

    public func entry(_ notification: AlertNotification) -> String {
        "• *\(ChatGrouping.mark(notification.line))* \(ChatGrouping.sentence(notification))"
    }
}
