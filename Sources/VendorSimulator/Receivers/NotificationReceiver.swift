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
/// The chat receivers keep each service's documented limits on the receiver's clock, counting
/// every request in a sliding window (`Limits`): beyond them they answer as the service does
/// (DingTalk `130101` and ten minutes of throttling, WeCom `45009`, Feishu HTTP 429 with `9499`,
/// Slack HTTP 429 with `Retry-After`) and record a violation; a message over the service's size
/// limit is refused (Slack truncates it) and recorded too. Tests fail when `violations` is not empty.
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
        /// When it arrived, on the receiver's clock.
        public var time: Date
        public var query: String
        public var body: String
        /// Whether the request was accepted (token, signature, payload shape).
        public var accepted: Bool
        /// Why it was refused, when it was.
        public var refusal: String?
        /// The body as JSON, when it is JSON.
        public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
    }

    /// A service's documented limits, as the receiver enforces them.
    public struct Limits: Sendable {
        /// At most `messages` requests in any `window` seconds, for each pair.
        public var rates: [(messages: Int, window: Double)]
        /// How long the service refuses everything after its rate was exceeded (DingTalk: ten minutes).
        public var penalty: Double
        /// The largest message, in bytes (Slack: characters) of what `size` measures.
        public var messageLimit: Int
    }

    /// DingTalk custom robot: 20 a minute, then throttled ten minutes; markdown text ≤ 20,000 bytes.
    public static let dingTalkLimits = Limits(rates: [(20, 60)], penalty: 600, messageLimit: 20_000)
    /// WeCom group robot: 20 a minute; markdown content ≤ 4096 bytes.
    public static let weComLimits = Limits(rates: [(20, 60)], penalty: 0, messageLimit: 4_096)
    /// Feishu custom bot: 5 a second and 100 a minute; request body ≤ 20 KB.
    public static let feishuLimits = Limits(rates: [(5, 1), (100, 60)], penalty: 0, messageLimit: 20 * 1_024)
    /// Slack incoming webhook: 1 a second; text truncated beyond 40,000 characters.
    public static let slackLimits = Limits(rates: [(1, 1)], penalty: 0, messageLimit: 40_000)

    /// The limits `kind` enforces (none for webhook and alertmanager).
    public static func limits(_ kind: Kind) -> Limits? {
        switch kind {
        case .dingtalk: return dingTalkLimits
        case .wecom: return weComLimits
        case .feishu: return feishuLimits
        case .slack: return slackLimits
        case .webhook, .alertmanager: return nil
        }
    }

    private struct State {
        var received: [Received] = []
        var refusals = 0
        var down = false
        var downAfterAccepting: Int?
        /// Arrival times per kind, for the sliding windows.
        var arrivals: [Kind: [Date]] = [:]
        /// Everything of that kind is answered "too fast" until then; `earned`: after a real excess
        /// (every request in the period is a violation), else scripted (the first one is not).
        var throttled: [Kind: (until: Date, earned: Bool, answered: Int)] = [:]
        var violations: [String] = []
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

    /// Every time a service's rate or size limit was broken, described; empty when every limit held.
    public var violations: [String] { state.withLock { $0.violations } }

    /// `kind` answers "too fast" for `seconds` from now, as after another client's burst on the same
    /// robot. The first request it refuses is not a violation; one that comes again before the
    /// period is over (the client ignored the wait) is.
    public func throttle(_ kind: Kind, for seconds: Double) {
        let until = clock().addingTimeInterval(seconds)
        state.withLock { $0.throttled[kind] = (until, false, 0) }
    }

    /// After `count` more accepted requests the receiver goes down, as `setDown(true)` (a receiver
    /// that fails in the middle of a split group).
    public func goDown(afterAccepting count: Int) {
        state.withLock { $0.downAfterAccepting = max(0, count) }
    }

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
        let now = clock()
        let (answer, refusal) =
            refuse
            ? (SimulatedResponse.json(400, "{\"error\":\"invalid payload\"}"), "payload (scripted)")
            : (tooFast(kind, at: now) ?? tooLarge(kind, request) ?? self.answer(kind, request))
        let fault = faults.next()
        let body = String(decoding: request.body, as: UTF8.self)
        if fault == nil {
            state.withLock { state in
                state.received.append(
                    Received(
                        kind: kind, time: now, query: request.rawQuery, body: body, accepted: refusal == nil,
                        refusal: refusal))
                if refusal == nil, let left = state.downAfterAccepting {
                    state.downAfterAccepting = left - 1
                    if left <= 1 {
                        state.down = true
                        state.downAfterAccepting = nil
                    }
                }
            }
        }
        return fault?.response(normal: answer) ?? answer
    }

    /// Counts the request in `kind`'s windows; the service's "too fast" answer when a limit is exceeded
    /// (recorded as a violation) or a throttle is in force.
    private func tooFast(_ kind: Kind, at now: Date) -> (SimulatedResponse, String?)? {
        guard let limits = Self.limits(kind) else { return nil }
        return state.withLock { state -> (SimulatedResponse, String?)? in
            let longest = limits.rates.map(\.window).max() ?? 0
            var arrivals = (state.arrivals[kind] ?? []).filter { now.timeIntervalSince($0) < longest }
            defer {
                arrivals.append(now)
                state.arrivals[kind] = arrivals
            }
            if var throttle = state.throttled[kind], now < throttle.until {
                throttle.answered += 1
                state.throttled[kind] = throttle
                if throttle.earned || throttle.answered > 1 {
                    state.violations.append(
                        "\(kind.rawValue): a request at \(now.timeIntervalSince1970) while throttled until "
                            + "\(throttle.until.timeIntervalSince1970)")
                }
                return (Self.tooFastAnswer(kind, wait: throttle.until.timeIntervalSince(now)), "too fast")
            }
            for rate in limits.rates {
                let inWindow = arrivals.filter { now.timeIntervalSince($0) < rate.window }.count
                guard inWindow >= rate.messages else { continue }
                state.violations.append(
                    "\(kind.rawValue): \(inWindow + 1) requests within \(rate.window) s (at most \(rate.messages))")
                let wait = max(limits.penalty, rate.window)
                if limits.penalty > 0 { state.throttled[kind] = (now.addingTimeInterval(limits.penalty), true, 1) }
                return (Self.tooFastAnswer(kind, wait: wait), "too fast")
            }
            return nil
        }
    }

    /// The service's own "too fast" answer, with the wait where the service states one.
    static func tooFastAnswer(_ kind: Kind, wait: Double) -> SimulatedResponse {
        let seconds = String(max(1, Int(wait.rounded(.up))))
        switch kind {
        case .dingtalk:
            return .json(200, "{\"errcode\":130101,\"errmsg\":\"send too fast, exceed 20 times per minute\"}")
        case .wecom:
            return .json(200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}")
        case .feishu:
            return .json(
                429, "{\"code\":9499,\"msg\":\"too many request\",\"data\":{}}",
                headers: [("x-ogw-ratelimit-limit", "5"), ("x-ogw-ratelimit-reset", seconds)])
        case .slack:
            return .reply(
                status: 429, headers: [("Content-Type", "text/plain"), ("Retry-After", seconds)],
                body: Array("rate_limited".utf8))
        case .webhook, .alertmanager:
            return .json(429, "{\"error\":\"too many requests\"}")
        }
    }

    /// The service's answer to a message over its size limit (recorded as a violation), or nil.
    private func tooLarge(_ kind: Kind, _ request: SimulatedRequest) -> (SimulatedResponse, String?)? {
        guard let limits = Self.limits(kind) else { return nil }
        let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any]
        let size: Int
        switch kind {
        case .dingtalk:
            size = ((object?["markdown"] as? [String: Any])?["text"] as? String)?.utf8.count ?? 0
        case .wecom:
            size = ((object?["markdown"] as? [String: Any])?["content"] as? String)?.utf8.count ?? 0
        case .feishu:
            size = request.body.count
        case .slack:
            size = (object?["text"] as? String)?.count ?? 0
        case .webhook, .alertmanager:
            return nil
        }
        guard size > limits.messageLimit else { return nil }
        state.withLock {
            $0.violations.append("\(kind.rawValue): a message of \(size), over the limit of \(limits.messageLimit)")
        }
        switch kind {
        case .dingtalk:
            return (.json(200, "{\"errcode\":460101,\"errmsg\":\"message too long\"}"), "too large")
        case .wecom:
            return (
                .json(200, "{\"errcode\":40058,\"errmsg\":\"markdown.content exceed max length 4096\"}"), "too large"
            )
        case .feishu:
            return (.json(400, "{\"code\":9499,\"msg\":\"Bad Request\",\"data\":{}}"), "too large")
        default:
            // Slack truncates the text and posts it: accepted, but the violation is recorded.
            return nil
        }
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
