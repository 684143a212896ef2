import Crypto
import Foundation

/// `type: feishu`: a Feishu / Lark (飞书) custom bot, `msg_type: text`. With a
/// `secret` the body carries `timestamp` (seconds) and `sign`:
/// Base64(HMAC-SHA256(key: "timestamp\nsecret", message: empty)), as Feishu documents it.
/// Feishu answers HTTP 200 on errors: `code` (or the older `StatusCode`) must be 0. A custom bot
/// may send 100 messages a minute and 5 a second; beyond that Feishu answers HTTP 429 (with
/// `x-ogw-ratelimit-reset`), or `9499` / `11232` in the body.
public struct FeishuNotifier: ChatNotifier {
    /// 5 messages a second and 100 a minute; a request body of at most 20 KB (the text is kept to
    /// 20,000 bytes as it stands in the JSON, which leaves room for the rest of the body).
    public static let limits = ChatServiceLimits(
        rates: [.init(messages: 5, window: 1), .init(messages: 100, window: 60)], messageLimit: 20_000)
    /// Codes Feishu answers a bot that sends too fast ("too many request", "rate limited").
    public static let tooFastCodes: Set<Int64> = [9_499, 11_232]
    /// The wait when Feishu does not state one: its per-minute window.
    public static let defaultThrottleWait = 60.0

    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public func request(for notification: AlertNotification, now: Date) -> OutgoingRequest {
        postJSON(payload(for: notification, now: now))
    }

    public func request(text: String, title: String, now: Date) -> OutgoingRequest {
        postJSON(payload(text: text, now: now))
    }

    public func check(_ response: IncomingResponse) -> NotifierError? {
        let stated = response.header("x-ogw-ratelimit-reset").flatMap {
            Double($0.trimmingCharacters(in: .whitespaces))
        }
        .flatMap { $0.isFinite && $0 >= 0 ? min($0, 3_600) : nil }
        if response.status == 429 {
            return .throttled(retryAfter: stated ?? Self.defaultThrottleWait, detail: "HTTP 429")
        }
        return NotifierError.checkJSONCode(
            response, codeKeys: ["code", "StatusCode"], messageKeys: ["msg", "StatusMessage"], redactor: redactor
        ) { Self.tooFastCodes.contains($0) ? stated ?? Self.defaultThrottleWait : nil }
    }

    public func size(of text: String) -> Int { NotifierSupport.jsonSize(text) }

    public func header(_ summary: String) -> String { summary }

    public func entry(_ notification: AlertNotification) -> String {
        "[\(ChatGrouping.mark(notification.line))] \(ChatGrouping.sentence(notification))"
    }

    /// `{"timestamp":...,"sign":...,"msg_type":"text","content":{"text":...}}` (no timestamp and sign without a secret).
    public func payload(for notification: AlertNotification, now: Date) -> JSONValue {
        payload(
            text: NotifierSupport.truncated(notification.plainText, limit: Self.limits.messageLimit) { size(of: $0) },
            now: now)
    }

    func payload(text: String, now: Date) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let secret = configuration.secret {
            let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
            members.append(("timestamp", .string(String(timestamp))))
            members.append(("sign", .string(Self.signature(timestamp: timestamp, secret: secret.reveal()))))
        }
        members.append(("msg_type", .string("text")))
        members.append(("content", .object([("text", .string(text))])))
        return .object(members)
    }

    /// Base64(HMAC-SHA256(key: "\(timestamp)\n\(secret)", message: no bytes)).
    public static func signature(timestamp: Int64, secret: String) -> String {
        let key = SymmetricKey(data: Data("\(timestamp)\n\(secret)".utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(), using: key)
        return Data(mac).base64EncodedString()
    }
}
