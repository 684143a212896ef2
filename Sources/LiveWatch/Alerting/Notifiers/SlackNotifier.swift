import Foundation

/// `type: slack`: a Slack incoming webhook, `{"text": ...}` in mrkdwn. Slack
/// answers the plain text `ok`; anything else (e.g. `invalid_payload`,
/// `no_service`, `channel_is_archived`) is an error.
public struct SlackNotifier: JSONPayloadNotifier {
    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public func check(_ response: IncomingResponse) -> NotifierError? {
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
}
