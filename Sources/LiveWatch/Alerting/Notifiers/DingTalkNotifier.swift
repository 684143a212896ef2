import Crypto
import Foundation

/// `type: dingtalk`: a DingTalk (钉钉) custom robot, `msgtype: markdown`. With a
/// `secret` ("加签") each request carries `timestamp` (milliseconds) and `sign`:
/// Base64(HMAC-SHA256(key: secret, message: "timestamp\nsecret")), URL-encoded.
/// DingTalk answers HTTP 200 even on errors: `errcode` must be 0.
public struct DingTalkNotifier: ConfiguredNotifier {
    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public func request(for notification: AlertNotification, now: Date) -> OutgoingRequest {
        var url = configuration.url.reveal()
        if let secret = configuration.secret {
            let timestamp = Int64((now.timeIntervalSince1970 * 1_000).rounded(.down))
            let sign = Self.signature(timestamp: timestamp, secret: secret.reveal())
            url += (url.contains("?") ? "&" : "?") + "timestamp=\(timestamp)&sign=\(Self.urlEncode(sign))"
        }
        return postJSON(payload(for: notification), to: url)
    }

    public func check(_ response: IncomingResponse) -> NotifierError? {
        NotifierError.checkJSONCode(response, codeKeys: ["errcode"], messageKeys: ["errmsg"], redactor: redactor)
    }

    /// `{"msgtype":"markdown","markdown":{"title":...,"text":...}}`.
    public func payload(for notification: AlertNotification) -> JSONValue {
        let text = "### \(notification.headline)\n\n" + notification.details.joined(separator: "\n\n")
        return .object([
            ("msgtype", .string("markdown")),
            (
                "markdown",
                .object([
                    ("title", .string(notification.headline)),
                    ("text", .string(NotifierSupport.truncated(text, bytes: 18_000))),
                ])
            ),
        ])
    }

    /// Base64(HMAC-SHA256(key: secret, message: "\(timestamp)\n\(secret)")), before URL encoding.
    public static func signature(timestamp: Int64, secret: String) -> String {
        let key = SymmetricKey(data: Data(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp)\n\(secret)".utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// Percent-encodes everything but unreserved characters (so `+`, `/` and `=` are escaped).
    static func urlEncode(_ text: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
