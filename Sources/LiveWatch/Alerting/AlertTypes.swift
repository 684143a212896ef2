/// How serious an alert-log line is.
public enum Severity: String, Sendable, Comparable, CaseIterable {
    case info
    case warning
    case critical

    var rank: Int {
        switch self {
        case .info: return 0
        case .warning: return 1
        case .critical: return 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// The rule names of INTERFACES section 3.
public enum AlertRule: String, Sendable, CaseIterable {
    case mrConcurrencyExhausted = "mr_concurrency_exhausted"
    case platformAuthorizationExpiring = "platform_authorization_expiring"
    case platformUnauthorized = "platform_unauthorized"
    case monitorFailing = "monitor_failing"
    case viewingRestrictionChanged = "viewing_restriction_changed"
    case liveClientLinkExpiring = "live_client_link_expiring"
    case liveClientLinkChanged = "live_client_link_changed"
    /// Notice: a MetaStudio platform's auth key or callback URLs changed (not in INTERFACES' table; see README).
    case platformConfigChanged = "platform_config_changed"
    /// Notice: a MetaStudio platform has a callback URL that is not HTTPS (not in INTERFACES' table; see README).
    case platformCallbackInsecure = "platform_callback_insecure"
}

/// An alert's identity: (rule, monitor, subject).
public struct AlertKey: Sendable, Hashable {
    public var rule: AlertRule
    public var monitor: String
    public var subject: String

    public init(rule: AlertRule, monitor: String, subject: String) {
        self.rule = rule
        self.monitor = monitor
        self.subject = subject
    }
}

/// What an evaluation says about one alert now.
public enum AlertCondition: Sendable, Equatable {
    /// The condition holds at this severity.
    case firing(severity: Severity, message: String, value: Double?, threshold: Double?)
    /// The condition does not hold; `message` explains the resolution.
    case clear(message: String, value: Double?)
    /// Nothing can be said (the poll failed): leave the alert as it is.
    case unknown
}

/// A one-off event for the alert log (state `notice`).
public struct AlertNotice: Sendable, Equatable {
    public var key: AlertKey
    public var severity: Severity
    public var message: String

    public init(key: AlertKey, severity: Severity = .info, message: String) {
        self.key = key
        self.severity = severity
        self.message = message
    }
}

/// Per-rule lifecycle settings (the `rules:` section).
public struct AlertRuleSettings: Sendable, Equatable {
    /// The condition must hold this long (seconds) before the alert fires; until then it is pending.
    public var pendingFor: Double
    /// Once firing, the condition must stay clear this long (seconds) before the alert resolves.
    public var keepFiringFor: Double

    public init(pendingFor: Double = 0, keepFiringFor: Double = 0) {
        self.pendingFor = pendingFor
        self.keepFiringFor = keepFiringFor
    }

    /// Rules that only ever write notices, where `for` and `keep_firing_for` mean nothing.
    public static let noticeRules: Set<AlertRule> = [.viewingRestrictionChanged, .liveClientLinkChanged]
}
