import Foundation
import Yams

/// One configured notifier (an item of the `notifiers:` list).
public struct NotifierConfiguration: Sendable, Equatable {
    /// The notifier types.
    public enum Kind: String, Sendable, CaseIterable {
        /// The Alertmanager webhook payload (version 4), POSTed to `url`.
        case webhook
        /// Alertmanager's own API: POST `{url}/api/v2/alerts`.
        case alertmanager
        /// WeCom (企业微信) group robot.
        case wecom
        /// DingTalk (钉钉) custom robot, signed when `secret` is set.
        case dingtalk
        /// Feishu / Lark (飞书) custom bot, signed when `secret` is set.
        case feishu
        /// Slack incoming webhook.
        case slack

        /// True for the chat robots, whose lines are grouped and whose rate is limited.
        public var isChat: Bool { [.wecom, .dingtalk, .feishu, .slack].contains(self) }

        /// `group_wait` when none is configured: 10 s for chat robots; webhook and alertmanager send
        /// one alert per request.
        public var defaultGroupWait: Double { isChat ? 10 : 0 }
    }

    public var name: String
    public var kind: Kind
    /// Where to send. It may hold a token (DingTalk access_token, Slack hook path): never print it.
    public var url: Secret
    /// The DingTalk or Feishu signing secret.
    public var secret: Secret?
    /// Lines below this severity are not sent (a resolution follows its firing regardless).
    public var minSeverity: Severity = .info
    /// Only these rules, when set.
    public var rules: [AlertRule]?
    /// Only these monitors, when set.
    public var monitors: [String]?
    /// Deadline of one delivery, in seconds.
    public var timeout: Double = 10
    /// The longest wait between retries, in seconds.
    public var maxBackoff: Double = 60
    /// A notification still undelivered this long after its line is given up (logged and counted).
    public var giveUpAfter: Double = 86_400
    /// Alertmanager only: how often firing alerts are sent again.
    public var resendInterval: Double = 60
    /// Chat types only: how long the first queued line waits for others to go out with it in one
    /// message (nil: the type's default, `Kind.defaultGroupWait`).
    public var groupWait: Double?

    /// The wait in force: the configured one, or the type's default.
    public var effectiveGroupWait: Double { kind.isChat ? (groupWait ?? kind.defaultGroupWait) : 0 }

    /// True when the `rules` and `monitors` filters let this alert through.
    public func accepts(rule: AlertRule, monitor: String) -> Bool {
        (rules?.contains(rule) ?? true) && (monitors?.contains(monitor) ?? true)
    }

    /// Every secret it holds (the URL included), so messages can be scrubbed of them.
    public var secrets: [Secret] { [url] + (secret.map { [$0] } ?? []) }

    /// The notifier that sends for this configuration.
    public func makeNotifier() -> any Notifier {
        switch kind {
        case .webhook: return WebhookNotifier(configuration: self)
        case .alertmanager: return AlertmanagerNotifier(configuration: self)
        case .wecom: return WeComNotifier(configuration: self)
        case .dingtalk: return DingTalkNotifier(configuration: self)
        case .feishu: return FeishuNotifier(configuration: self)
        case .slack: return SlackNotifier(configuration: self)
        }
    }

    /// What is wrong with a resolved `url` for this kind, or nil. Never quotes the URL.
    static func problem(with url: String, kind: Kind) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty
        else { return "must be an http:// or https:// URL" }
        if components.user != nil || components.password != nil { return "must not hold a user name or password" }
        let query = components.queryItems ?? []
        switch kind {
        case .alertmanager:
            if components.query != nil {
                return "must be Alertmanager's base URL without a query (/api/v2/alerts is added)"
            }
        case .dingtalk:
            if !query.contains(where: { $0.name == "access_token" && !($0.value ?? "").isEmpty }) {
                return "must be the robot's webhook URL with its access_token"
            }
        case .wecom:
            if !query.contains(where: { $0.name == "key" && !($0.value ?? "").isEmpty }) {
                return "must be the robot's webhook URL with its key"
            }
        case .webhook, .feishu, .slack:
            break
        }
        return nil
    }
}
