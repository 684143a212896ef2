import Crypto
import Foundation

/// `type: feishu`: a Feishu / Lark (飞书) custom bot, `msg_type: text`. With a
/// `secret` the body carries `timestamp` (seconds) and `sign`:
/// Base64(HMAC-SHA256(key: "timestamp\nsecret", message: empty)), as Feishu documents it.
/// Feishu answers HTTP 200 on errors: `code` (or the older `StatusCode`) must be 0.
public struct FeishuNotifier: ConfiguredNotifier {
    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public func request(for notification: AlertNotification, now: Date) -> OutgoingRequest {
        postJSON(payload(for: notification, now: now))
    }

    public func check(_ response: IncomingResponse) -> NotifierError? {
        NotifierError.checkJSONCode(
            response, codeKeys: ["code", "StatusCode"], messageKeys: ["msg", "StatusMessage"], redactor: redactor)
    }

    /// `{"timestamp":...,"sign":...,"msg_type":"text","content":{"text":...}}` (no timestamp and sign without a secret).
    public func payload(for notification: AlertNotification, now: Date) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let secret = configuration.secret {
            let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
            members.append(("timestamp", .string(String(timestamp))))
            members.append(("sign", .string(Self.signature(timestamp: timestamp, secret: secret.reveal()))))
        }
        members.append(("msg_type", .string("text")))
        members.append(
            ("content", .object([("text", .string(NotifierSupport.truncated(notification.plainText, bytes: 18_000)))])))
        return .object(members)
    }

    /// Base64(HMAC-SHA256(key: "\(timestamp)\n\(secret)", message: no bytes)).
    public static func signature(timestamp: Int64, secret: String) -> String {
        let key = SymmetricKey(data: Data("\(timestamp)\n\(secret)".utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(), using: key)
        return Data(mac).base64EncodedString()
    }
}
