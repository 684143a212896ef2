import Crypto
import Foundation

/// `type: dingtalk`: a DingTalk (钉钉) custom robot, `msgtype: markdown`. With a
/// `secret` ("加签") each request carries `timestamp` (milliseconds) and `sign`:
/// Base64(HMAC-SHA256(key: secret, message: "timestamp\nsecret")), URL-encoded.
/// DingTalk answers HTTP 200 even on errors: `errcode` must be 0. A custom robot may send 20
/// messages a minute; beyond that DingTalk answers `130101` and throttles it for ten minutes.
public struct DingTalkNotifier: ChatNotifier {
    /// 20 messages a minute; a markdown text of at most 20,000 bytes.
    public static let limits = ChatServiceLimits(rates: [.init(messages: 20, window: 60)], messageLimit: 20_000)
    /// "send too fast, exceed 20 times per minute".
    public static let tooFastCode: Int64 = 130_101
    /// How long DingTalk throttles a robot that sent too fast.
    public static let throttlePeriod = 600.0

    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public func request(for notification: AlertNotification, now: Date) -> OutgoingRequest {
        postJSON(payload(for: notification), to: signedURL(now: now))
    }

    public func request(text: String, title: String, now: Date) -> OutgoingRequest {
        postJSON(markdown(title: title, text: text), to: signedURL(now: now))
    }

    public func check(_ response: IncomingResponse) -> NotifierError? {
        NotifierError.checkJSONCode(response, codeKeys: ["errcode"], messageKeys: ["errmsg"], redactor: redactor) {
            $0 == Self.tooFastCode ? Self.throttlePeriod : nil
        }
    }

    public func header(_ summary: String) -> String { "### \(summary)\n" }

    public func entry(_ notification: AlertNotification) -> String {
        "- **\(ChatGrouping.mark(notification.line))** \(ChatGrouping.sentence(notification))"
    }

    /// The configured URL, with `timestamp` and `sign` when a secret is set.
    func signedURL(now: Date) -> String {
        var url = configuration.url.reveal()
        if let secret = configuration.secret {
            let timestamp = Int64((now.timeIntervalSince1970 * 1_000).rounded(.down))
            let sign = Self.signature(timestamp: timestamp, secret: secret.reveal())
            url += (url.contains("?") ? "&" : "?") + "timestamp=\(timestamp)&sign=\(Self.urlEncode(sign))"
        }
        return url
    }

    /// `{"msgtype":"markdown","markdown":{"title":...,"text":...}}`.
    public func payload(for notification: AlertNotification) -> JSONValue {
        let text = "### \(notification.headline)\n\n" + notification.details.joined(separator: "\n\n")
        return markdown(title: notification.headline, text: NotifierSupport.truncated(text, bytes: 18_000))
    }

    func markdown(title: String, text: String) -> JSONValue {
        .object([
            ("msgtype", .string("markdown")),
            ("markdown", .object([("title", .string(title)), ("text", .string(text))])),
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
