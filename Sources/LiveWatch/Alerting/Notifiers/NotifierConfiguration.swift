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
    }

    public var name: String
    public var kind: Kind
    /// Where to send. It may hold a token (DingTalk access_token, Slack hook path): never print it.
    public var url: Secret
    /// The DingTalk or Feishu signing secret.
    public var secret: Secret?
    /// Lines below this severity are not sent (a resolution follows its firing regardless).
    public var minSeverity: Severity
    /// Only these rules, when set.
    public var rules: [AlertRule]?
    /// Only these monitors, when set.
    public var monitors: [String]?
    /// Deadline of one delivery, in seconds.
    public var timeout: Double
    /// The longest wait between retries, in seconds.
    public var maxBackoff: Double
    /// A notification still undelivered this long after its line is given up (logged and counted).
    public var giveUpAfter: Double
    /// Alertmanager only: how often firing alerts are sent again.
    public var resendInterval: Double

    public init(
        name: String, kind: Kind, url: Secret, secret: Secret? = nil, minSeverity: Severity = .info,
        rules: [AlertRule]? = nil, monitors: [String]? = nil, timeout: Double = 10, maxBackoff: Double = 60,
        giveUpAfter: Double = 86_400, resendInterval: Double = 60
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.secret = secret
        self.minSeverity = minSeverity
        self.rules = rules
        self.monitors = monitors
        self.timeout = timeout
        self.maxBackoff = maxBackoff
        self.giveUpAfter = giveUpAfter
        self.resendInterval = resendInterval
    }

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
            if components.query != nil { return "must be Alertmanager's base URL without a query (/api/v2/alerts is added)" }
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

extension ConfigurationLoader {
    /// Reads the `notifiers:` list; `monitorNames` are the configured monitors (for the `monitors` filter).
    func readNotifiers(_ node: Node, monitorNames: Set<String>, collector: ProblemCollector) -> [NotifierConfiguration] {
        guard case .sequence(let items) = node else {
            collector.problem(node, owner: nil, key: "notifiers", "must be a list of notifiers (each item starts with \"- name:\")")
            return []
        }
        var notifiers: [NotifierConfiguration] = []
        var seen: [String: Int?] = [:]
        for item in items {
            let name = Self.peekName(item)
            guard let reader = MappingReader(item, owner: name, prefix: "", collector: collector, environment: environment, what: "a notifier")
            else { continue }
            defer { reader.finish() }
            let checkedName = readName(reader)
            if let checkedName {
                if let previous = seen[checkedName] {
                    let first = previous.map { " (first defined on line \($0))" } ?? ""
                    reader.problem(reader.value("name"), "name", "duplicate notifier name\(first)")
                } else {
                    seen[checkedName] = reader.value("name")?.mark?.line
                }
            }
            var kind: NotifierConfiguration.Kind?
            if let text = reader.string("type", required: true) {
                kind = NotifierConfiguration.Kind(rawValue: text)
                if kind == nil {
                    let known = NotifierConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    reader.problem(reader.value("type"), "type", "unknown notifier type \"\(text.prefix(40))\" (use \(known))")
                }
            }
            let url = readNotifierURL(reader, kind: kind)
            var secret: Secret?
            if reader.value("secret") != nil {
                if let kind, kind != .dingtalk, kind != .feishu {
                    reader.problem(reader.value("secret"), "secret", "only dingtalk and feishu notifiers sign their requests")
                } else {
                    secret = reader.secret("secret", required: false)
                }
            }
            var minSeverity = Severity.info
            if let text = reader.string("min_severity") {
                if let severity = Severity(rawValue: text) {
                    minSeverity = severity
                } else {
                    reader.problem(reader.value("min_severity"), "min_severity", "must be info, warning or critical (got \"\(text.prefix(40))\")")
                }
            }
            let rules = readRuleFilter(reader)
            let monitors = readMonitorFilter(reader, monitorNames: monitorNames)
            let timeout = reader.duration("timeout", in: ConfigurationLimits.notifierTimeout, default: 10)
            let maxBackoff = reader.duration("max_backoff", in: ConfigurationLimits.notifierMaxBackoff, default: 60)
            let giveUpAfter = reader.duration("give_up_after", in: ConfigurationLimits.giveUpAfter, default: 86_400)
            var resendInterval = 60.0
            if reader.value("resend_interval") != nil {
                if let kind, kind != .alertmanager {
                    reader.problem(reader.value("resend_interval"), "resend_interval", "applies to alertmanager notifiers only")
                } else {
                    resendInterval = reader.duration("resend_interval", in: ConfigurationLimits.resendInterval, default: 60)
                }
            }
            guard let checkedName, let kind, let url else { continue }
            notifiers.append(NotifierConfiguration(
                name: checkedName, kind: kind, url: url, secret: secret, minSeverity: minSeverity, rules: rules,
                monitors: monitors, timeout: timeout, maxBackoff: maxBackoff, giveUpAfter: giveUpAfter,
                resendInterval: resendInterval))
        }
        return notifiers
    }

    /// `url`: a plain URL, or a secret reference when it holds a token.
    func readNotifierURL(_ reader: MappingReader, kind: NotifierConfiguration.Kind?) -> Secret? {
        guard let node = reader.value("url") else {
            reader.problem(nil, "url", "is required")
            return nil
        }
        let url: Secret
        if case .scalar(let scalar) = node {
            guard !scalar.string.isEmpty else {
                reader.problem(node, "url", "must not be empty")
                return nil
            }
            url = Secret(scalar.string)
            let carriesToken = [.dingtalk, .wecom, .feishu, .slack].contains(kind) || URLComponents(string: scalar.string)?.query != nil
            if carriesToken {
                reader.warning(node, "url", "holds a token in the configuration file; prefer { env: NAME }, { file: PATH } or { credential: NAME }")
            }
        } else {
            // A secret reference: `reader.secret` resolves it (and would warn about a literal, which this is not).
            guard let resolved = reader.secret("url", required: true) else { return nil }
            url = resolved
        }
        guard let kind else { return url }
        if let problem = NotifierConfiguration.problem(with: url.reveal(), kind: kind) {
            reader.problem(node, "url", problem)
            return nil
        }
        if let host = URLComponents(string: url.reveal())?.host, URLComponents(string: url.reveal())?.scheme?.lowercased() == "http",
           !MappingReader.isLoopback(host) {
            reader.warning(node, "url", "uses plain http to \(host): notifications travel unencrypted")
        }
        return url
    }

    /// An optional `rules:` filter of known rule names.
    func readRuleFilter(_ reader: MappingReader) -> [AlertRule]? {
        guard let items = reader.stringList("rules") else { return nil }
        var rules: [AlertRule] = []
        for (node, text) in items {
            if let rule = AlertRule(rawValue: text) {
                rules.append(rule)
            } else {
                reader.problem(node, "rules", "unknown rule \"\(text.prefix(60))\"")
            }
        }
        if items.isEmpty { reader.problem(reader.value("rules"), "rules", "must name at least one rule (leave it out for all)") }
        return rules
    }

    /// An optional `monitors:` filter of configured monitor names.
    func readMonitorFilter(_ reader: MappingReader, monitorNames: Set<String>) -> [String]? {
        guard let items = reader.stringList("monitors") else { return nil }
        var monitors: [String] = []
        for (node, text) in items {
            if monitorNames.contains(text) {
                monitors.append(text)
            } else {
                reader.problem(node, "monitors", "no monitor named \"\(text.prefix(64))\" is configured")
            }
        }
        if items.isEmpty { reader.problem(reader.value("monitors"), "monitors", "must name at least one monitor (leave it out for all)") }
        return monitors
    }
}
