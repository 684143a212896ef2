import Crypto
import Foundation
import Synchronization

/// The receiving end of every notifier type on loopback, for tests and the demo.
/// It records what arrived and answers as each service does: WeCom, DingTalk and
/// Feishu with HTTP 200 and an error code in the body, Slack with `ok`,
/// Alertmanager and a plain webhook with an empty 200. DingTalk and Feishu
/// signatures are verified with the vendors' documented algorithms, and their
/// timestamps must be within an hour of the receiver's clock.
///
/// Paths (relative to the simulator's base URL):
/// `/hooks/webhook`, `/hooks/alertmanager/api/v2/alerts`, `/hooks/wecom/cgi-bin/webhook/send?key=KEY`,
/// `/hooks/dingtalk/robot/send?access_token=TOKEN`, `/hooks/feishu/open-apis/bot/v2/hook/TOKEN`,
/// `/hooks/slack/services/TOKEN`.
public final class NotificationReceiver: SimulatedAPI {
    /// The receiver kinds, named like the notifier types.
    public enum Kind: String, Sendable, CaseIterable {
        case webhook, alertmanager, wecom, dingtalk, feishu, slack
    }

    /// One request as it arrived.
    public struct Received: Sendable {
        public var kind: Kind
        public var query: String
        public var body: String
        /// Whether the request was accepted (token, signature, payload shape).
        public var accepted: Bool
        /// Why it was refused, when it was.
        public var refusal: String?
        /// The body as JSON, when it is JSON.
        public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
    }

    private struct State {
        var received: [Received] = []
        var refusals = 0
        var down = false
    }

    /// The token every token-bearing URL carries (WeCom key, DingTalk access_token, Feishu and Slack path).
    public let token: String
    /// DingTalk's signing secret; nil: requests must not be signed.
    public let dingTalkSecret: String?
    /// Feishu's signing secret; nil: requests must not be signed.
    public let feishuSecret: String?
    /// Faults for the next requests (HTTP-level misbehaviour).
    public let faults = FaultScript()
    let clock: @Sendable () -> Date
    private let state = Mutex(State())

    public init(
        token: String = "receiver-token-0123456789", dingTalkSecret: String? = nil, feishuSecret: String? = nil,
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.token = token
        self.dingTalkSecret = dingTalkSecret
        self.feishuSecret = feishuSecret
        self.clock = clock
    }

    /// The URL a notifier of `kind` should use, under `baseURL`.
    public func url(_ kind: Kind, baseURL: String) -> String {
        switch kind {
        case .webhook: return baseURL + "/hooks/webhook"
        case .alertmanager: return baseURL + "/hooks/alertmanager"
        case .wecom: return baseURL + "/hooks/wecom/cgi-bin/webhook/send?key=\(token)"
        case .dingtalk: return baseURL + "/hooks/dingtalk/robot/send?access_token=\(token)"
        case .feishu: return baseURL + "/hooks/feishu/open-apis/bot/v2/hook/\(token)"
        case .slack: return baseURL + "/hooks/slack/services/\(token)"
        }
    }

    /// Everything received so far, in arrival order.
    public var received: [Received] { state.withLock { $0.received } }

    /// What `kind` received, accepted or not.
    public func received(_ kind: Kind) -> [Received] { received.filter { $0.kind == kind } }

    /// The next `count` requests are refused as a malformed payload (HTTP 400), whatever they hold.
    public func refusePayloads(_ count: Int) { state.withLock { $0.refusals += count } }

    /// While down, every request (on a connection still open from before) gets a TCP reset and is not
    /// recorded; stop the server too so that new connections are refused.
    public func setDown(_ down: Bool) { state.withLock { $0.down = down } }

    /// Forgets what was received.
    public func reset() { state.withLock { $0.received.removeAll() } }

    public func matches(_ request: SimulatedRequest) -> Bool {
        request.path.hasPrefix("/hooks/")
    }

    public func handle(_ request: SimulatedRequest) -> SimulatedResponse {
        let kindName = request.path.dropFirst("/hooks/".count).split(separator: "/").first.map(String.init) ?? ""
        guard let kind = Kind(rawValue: kindName) else { return .json(404, "{\"error\":\"no such hook\"}") }
        if state.withLock({ $0.down }) { return .reset }
        let refuse = state.withLock { state in
            guard state.refusals > 0 else { return false }
            state.refusals -= 1
            return true
        }
        let (answer, refusal) =
            refuse
            ? (SimulatedResponse.json(400, "{\"error\":\"invalid payload\"}"), "payload (scripted)")
            : self.answer(kind, request)
        let fault = faults.next()
        let body = String(decoding: request.body, as: UTF8.self)
        if fault == nil {
            state.withLock {
                $0.received.append(
                    Received(
                        kind: kind, query: request.rawQuery, body: body, accepted: refusal == nil, refusal: refusal))
            }
        }
        return fault?.response(normal: answer) ?? answer
    }

    private func answer(_ kind: Kind, _ request: SimulatedRequest) -> (SimulatedResponse, String?) {
        guard request.method == "POST" else { return (.json(405, "{\"error\":\"method not allowed\"}"), "method") }
        let object = try? JSONSerialization.jsonObject(with: Data(request.body))
        switch kind {
        case .webhook:
            guard let payload = object as? [String: Any], payload["version"] as? String == "4",
                payload["alerts"] is [Any]
            else {
                return (.reply(status: 400, headers: [], body: Array("bad payload".utf8)), "payload")
            }
            return (.reply(status: 200, headers: [], body: []), nil)
        case .alertmanager:
            guard request.path == "/hooks/alertmanager/api/v2/alerts" else {
                return (.json(404, "{\"error\":\"not found\"}"), "path")
            }
            guard let alerts = object as? [[String: Any]], alerts.allSatisfy({ $0["labels"] is [String: String] })
            else {
                return (.json(400, "{\"code\":400,\"message\":\"invalid alerts\"}"), "payload")
            }
            return (.reply(status: 200, headers: [], body: []), nil)
        case .wecom:
            guard request.query("key") == token else {
                return (
                    .json(
                        200,
                        "{\"errcode\":93000,\"errmsg\":\"invalid webhook url, hint: [1800000000_1], from ip: 127.0.0.1\"}"
                    ), "key"
                )
            }
            guard let payload = object as? [String: Any], payload["msgtype"] != nil else {
                return (.json(200, "{\"errcode\":40008,\"errmsg\":\"invalid message type\"}"), "payload")
            }
            return (.json(200, "{\"errcode\":0,\"errmsg\":\"ok\"}"), nil)
        case .dingtalk:
            guard request.query("access_token") == token else {
                return (.json(200, "{\"errcode\":300001,\"errmsg\":\"token is not exist\"}"), "token")
            }
            if let secret = dingTalkSecret {
                guard let timestampText = request.query("timestamp"), let timestamp = Int64(timestampText),
                    abs(Double(timestamp) / 1_000 - clock().timeIntervalSince1970) <= 3_600,
                    let sign = request.query("sign"),
                    sign == Self.dingTalkSign(timestamp: timestampText, secret: secret)
                else {
                    return (
                        .json(
                            200,
                            "{\"errcode\":310000,\"errmsg\":\"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]\"}"
                        ), "sign"
                    )
                }
            } else if request.query("sign") != nil {
                return (.json(200, "{\"errcode\":310000,\"errmsg\":\"sign not match\"}"), "sign")
            }
            guard let payload = object as? [String: Any], payload["msgtype"] != nil else {
                return (.json(200, "{\"errcode\":40035,\"errmsg\":\"缺少参数 json\"}"), "payload")
            }
            return (.json(200, "{\"errcode\":0,\"errmsg\":\"ok\"}"), nil)
        case .feishu:
            guard request.path.hasSuffix("/hook/\(token)") else {
                return (
                    .json(
                        200,
                        "{\"code\":19001,\"msg\":\"param invalid: incoming webhook access token invalid\",\"data\":{}}"),
                    "token"
                )
            }
            guard let payload = object as? [String: Any] else {
                return (.json(400, "{\"code\":9499,\"msg\":\"Bad Request\",\"data\":{}}"), "payload")
            }
            if let secret = feishuSecret {
                guard let timestampText = payload["timestamp"] as? String, let timestamp = Int64(timestampText),
                    abs(Double(timestamp) - clock().timeIntervalSince1970) <= 3_600,
                    let sign = payload["sign"] as? String,
                    sign == Self.feishuSign(timestamp: timestampText, secret: secret)
                else {
                    return (
                        .json(
                            200,
                            "{\"code\":19021,\"msg\":\"sign match fail or timestamp is not within one hour from current time\",\"data\":{}}"
                        ), "sign"
                    )
                }
            }
            guard payload["msg_type"] != nil else {
                return (.json(200, "{\"code\":19002,\"msg\":\"params error, msg_type need\",\"data\":{}}"), "payload")
            }
            return (
                .json(
                    200, "{\"StatusCode\":0,\"StatusMessage\":\"success\",\"code\":0,\"data\":{},\"msg\":\"success\"}"),
                nil
            )
        case .slack:
            guard request.path == "/hooks/slack/services/\(token)" else {
                return (
                    .reply(status: 403, headers: [("Content-Type", "text/html")], body: Array("invalid_token".utf8)),
                    "token"
                )
            }
            guard let payload = object as? [String: Any], payload["text"] is String else {
                return (
                    .reply(status: 400, headers: [("Content-Type", "text/html")], body: Array("invalid_payload".utf8)),
                    "payload"
                )
            }
            return (.reply(status: 200, headers: [("Content-Type", "text/html")], body: Array("ok".utf8)), nil)
        }
    }

    /// DingTalk: Base64(HMAC-SHA256(key: secret, message: timestamp + "\n" + secret)).
    public static func dingTalkSign(timestamp: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("\(timestamp)\n\(secret)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Feishu: Base64(HMAC-SHA256(key: timestamp + "\n" + secret, message: empty)).
    public static func feishuSign(timestamp: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: [UInt8](), using: SymmetricKey(data: Array("\(timestamp)\n\(secret)".utf8)))
        return Data(mac).base64EncodedString()
    }
}
