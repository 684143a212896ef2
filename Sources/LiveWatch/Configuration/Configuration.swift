import Foundation

/// The whole validated configuration: daemon settings, poll defaults and monitors.
public struct Configuration: Sendable {
    /// Settings of the daemon itself (section `daemon`).
    public var daemon: DaemonSettings
    /// The poll settings monitors inherit (section `defaults`).
    public var defaults: PollSettings
    /// Every monitor, in file order.
    public var monitors: [MonitorConfiguration]
    /// Accepted but questionable settings (literal secrets, plain-http endpoints, ...).
    public var warnings: [ConfigurationProblem]
    /// Where alert lines are pushed (section `notifiers`), in file order.
    public var notifiers: [NotifierConfiguration]
    /// When matching lines reach no notifier (section `silences`).
    public var silences: [Silence]
    /// Per-rule `for` and `keep_firing_for` (section `rules`).
    public var rules: [AlertRule: AlertRuleSettings]

    public init(
        daemon: DaemonSettings = DaemonSettings(), defaults: PollSettings = PollSettings(),
        monitors: [MonitorConfiguration] = [], warnings: [ConfigurationProblem] = [],
        notifiers: [NotifierConfiguration] = [], silences: [Silence] = [], rules: [AlertRule: AlertRuleSettings] = [:]
    ) {
        self.daemon = daemon
        self.defaults = defaults
        self.monitors = monitors
        self.warnings = warnings
        self.notifiers = notifiers
        self.silences = silences
        self.rules = rules
    }
}

/// Settings of the daemon as a whole.
public struct DaemonSettings: Sendable, Equatable {
    /// The SQLite file, created with its schema on first start.
    public var database = "/var/lib/livewatch/livewatch.db"
    /// The JSON Lines alert log.
    public var alertLog = "/var/log/livewatch/alerts.log"
    /// Raw observations older than this are pruned (seconds).
    public var retention: Double = 90 * 86_400
    /// Rows of `polls` older than this are pruned (seconds).
    public var pollsRetention: Double = 365 * 86_400
    /// Resolved alert episodes older than this are pruned (seconds).
    public var alertsRetention: Double = 2 * 365 * 86_400
    /// Hourly and daily rollups older than this are pruned (seconds).
    public var rollupRetention: Double = 2 * 365 * 86_400
    /// How often pruning runs (seconds).
    public var pruneInterval: Double = 3_600
    /// Consecutive failed polls before `monitor_failing` fires.
    public var failureThreshold = 3
    /// A still-firing alert is written again this often (seconds).
    public var repeatInterval: Double = 6 * 3_600
    /// The longest wait between retries of a failing monitor (seconds).
    public var maxBackoff: Double = 300
    /// How long a stopping daemon waits for in-flight polls (seconds).
    public var shutdownTimeout: Double = 10
    /// Rows the alert-log outbox, and each notifier's notification outbox, keep at most; the oldest beyond are dropped.
    public var outboxLimit = OutboxLimit.defaultLimit
    /// Where `/metrics` and the health endpoints are served; nil: no listener.
    public var listen: ListenAddress?

    public init() {}
}

/// How often and how long a monitor polls.
public struct PollSettings: Sendable, Equatable {
    /// Seconds between polls after a success.
    public var interval: Double = 60
    /// Deadline of one whole poll, in seconds.
    public var timeout: Double = 10
    /// Random spread of each wait, as a fraction of it (0.1 = ±10%).
    public var jitter: Double = 0.10

    public init(interval: Double = 60, timeout: Double = 10, jitter: Double = 0.10) {
        self.interval = interval
        self.timeout = timeout
        self.jitter = jitter
    }
}

/// One configured monitor of one vendor.
public enum MonitorConfiguration: Sendable, Equatable {
    case polyv(PolyvMonitorConfiguration)
    case tencentChat(TencentChatMonitorConfiguration)
    case metaStudio(MetaStudioMonitorConfiguration)
    case volcengine(VolcengineMonitorConfiguration)

    /// The vendor's own configuration.
    public var vendorConfiguration: any VendorMonitorConfiguration {
        switch self {
        case .polyv(let configuration): return configuration
        case .tencentChat(let configuration): return configuration
        case .metaStudio(let configuration): return configuration
        case .volcengine(let configuration): return configuration
        }
    }

    /// The unique monitor name.
    public var name: String { vendorConfiguration.name }

    /// The vendor's short name, as stored in `polls.vendor`.
    public var vendor: String { type(of: vendorConfiguration).vendor }

    /// Its poll settings, defaults applied.
    public var poll: PollSettings { vendorConfiguration.poll }

    /// The deadline of one whole poll: `timeout`, or the crawl budget for a paging crawl.
    public var pollDeadline: Double { vendorConfiguration.pollDeadline }

    /// Every secret it holds, so logs and errors can be scrubbed of them.
    public var secrets: [Secret] { vendorConfiguration.secrets }
}

/// What the configuration of a monitor says whatever its vendor.
public protocol VendorMonitorConfiguration: Sendable {
    /// The vendor's short name, as stored in `polls.vendor`.
    static var vendor: String { get }
    /// The unique monitor name.
    var name: String { get }
    /// Its poll settings, defaults applied.
    var poll: PollSettings { get }
    /// The deadline of one whole poll.
    var pollDeadline: Double { get }
    /// Every secret it holds.
    var secrets: [Secret] { get }
}

extension PolyvMonitorConfiguration: VendorMonitorConfiguration {
    public static var vendor: String { "polyv" }
    /// `timeout`: one request.
    public var pollDeadline: Double { poll.timeout }
    public var secrets: [Secret] { [appSecret] }
}

extension TencentChatMonitorConfiguration: VendorMonitorConfiguration {
    public static var vendor: String { "tencent_chat" }
    /// The crawl budget: a crawl pages through the whole list.
    public var pollDeadline: Double { crawlBudget }
    public var secrets: [Secret] { [secretKey] }
}

extension MetaStudioMonitorConfiguration: VendorMonitorConfiguration {
    public static var vendor: String { "metastudio" }
    /// `timeout` for each page, up to 10 of them.
    public var pollDeadline: Double { max(poll.timeout, poll.timeout * Double(min(maxPages, 10))) }
    public var secrets: [Secret] {
        switch authentication {
        case .accessKey(let accessKey, let secretKey): return [accessKey, secretKey]
        case .token(let token): return [token]
        }
    }
}

extension VolcengineMonitorConfiguration: VendorMonitorConfiguration {
    public static var vendor: String { "volcengine" }
    public var secrets: [Secret] { [accessKey, secretKey] }
}

/// A Tencent Cloud Chat live room list monitor.
public struct TencentChatMonitorConfiguration: Sendable, Equatable {
    public var name: String
    public var sdkAppID: UInt64
    /// An App Admin account.
    public var identifier: String
    /// The key UserSigs are generated from.
    public var secretKey: Secret
    /// Base URL, default `https://console.tim.qq.com`.
    public var endpoint: URL
    /// Rooms per request, 1...20.
    public var pageSize: Int
    /// Most requests that start in any one-second window.
    public var rateLimit: Int
    /// A crawl with more pages than this fails.
    public var maxPages: Int
    /// A crawl longer than this (seconds) fails.
    public var crawlBudget: Double
    public var poll: PollSettings

    public init(
        name: String, sdkAppID: UInt64, identifier: String, secretKey: Secret, endpoint: URL, pageSize: Int = 20,
        rateLimit: Int = 10, maxPages: Int = 5_000, crawlBudget: Double = 600, poll: PollSettings
    ) {
        self.name = name
        self.sdkAppID = sdkAppID
        self.identifier = identifier
        self.secretKey = secretKey
        self.endpoint = endpoint
        self.pageSize = pageSize
        self.rateLimit = rateLimit
        self.maxPages = maxPages
        self.crawlBudget = crawlBudget
        self.poll = poll
    }
}

/// A Huawei MetaStudio live platform monitor.
public struct MetaStudioMonitorConfiguration: Sendable, Equatable {
    /// How requests are authenticated.
    public enum Authentication: Sendable, Equatable {
        /// AK/SK signing (SDK-HMAC-SHA256).
        case accessKey(accessKey: Secret, secretKey: Secret)
        /// An IAM token sent as `X-Auth-Token`.
        case token(Secret)
    }

    public var name: String
    public var projectID: String
    /// Base URL, default `https://metastudio.cn-north-4.myhuaweicloud.com`.
    public var endpoint: URL
    public var authentication: Authentication
    /// Optional `access_type` filter (`MEITUAN_OFFICIAL` or `MSS_STANDARD`).
    public var accessType: String?
    /// Warning when an authorization expires within this many seconds.
    public var expiryWarning: Double
    /// Critical when an authorization expires within this many seconds.
    public var expiryCritical: Double
    /// The zone a zone-less time such as `2026-11-22 08:00:00` is read in (default UTC).
    public var timeZone: TimeZone
    /// A listing with more pages than this fails.
    public var maxPages: Int
    public var poll: PollSettings

    public init(
        name: String, projectID: String, endpoint: URL, authentication: Authentication, accessType: String? = nil,
        expiryWarning: Double = 7 * 86_400, expiryCritical: Double = 86_400,
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current,
        maxPages: Int = 100, poll: PollSettings
    ) {
        self.name = name
        self.projectID = projectID
        self.endpoint = endpoint
        self.authentication = authentication
        self.accessType = accessType
        self.expiryWarning = expiryWarning
        self.expiryCritical = expiryCritical
        self.timeZone = timeZone
        self.maxPages = maxPages
        self.poll = poll
    }
}

/// A Volcengine livesaas monitor: viewing restrictions and start links of some live rooms.
public struct VolcengineMonitorConfiguration: Sendable, Equatable {
    public var name: String
    public var accessKey: Secret
    public var secretKey: Secret
    /// Default `cn-north-1`.
    public var region: String
    /// Base URL, default `https://livesaas.volcengineapi.com`.
    public var endpoint: URL
    /// The live rooms (activities) watched.
    public var activityIDs: [Int64]
    /// Watch `GetCustomViewingRestrictionInfoAPI`.
    public var viewingRestrictions: Bool
    /// Watch `GetDownloadLiveClient` (the host's start link).
    public var liveClientLinks: Bool
    /// A guest link is watched for each name (1-15 characters).
    public var guestNames: [String]
    /// Warning when a temporary start link expires within this many seconds.
    public var linkExpiryWarning: Double
    public var poll: PollSettings

    public init(
        name: String, accessKey: Secret, secretKey: Secret, region: String = "cn-north-1", endpoint: URL,
        activityIDs: [Int64], viewingRestrictions: Bool = true, liveClientLinks: Bool = false,
        guestNames: [String] = [],
        linkExpiryWarning: Double = 7_200, poll: PollSettings
    ) {
        self.name = name
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.endpoint = endpoint
        self.activityIDs = activityIDs
        self.viewingRestrictions = viewingRestrictions
        self.liveClientLinks = liveClientLinks
        self.guestNames = guestNames
        self.linkExpiryWarning = linkExpiryWarning
        self.poll = poll
    }
}

extension VolcengineMonitorConfiguration {
    /// `timeout`, plus the time the rate limits need to spread one poll's
    /// requests: 0.5 s per restriction request (120/min), 0.1 s per link request (10/s).
    public var pollDeadline: Double {
        let restrictionRequests = viewingRestrictions ? Double(activityIDs.count) : 0
        let linkRequests = liveClientLinks ? Double(activityIDs.count * (1 + guestNames.count)) : 0
        return poll.timeout + max(restrictionRequests * 0.5, linkRequests * 0.1)
    }
}

/// A Polyv MR concurrency monitor.
public struct PolyvMonitorConfiguration: Sendable, Equatable {
    public var name: String
    public var appID: String
    public var appSecret: Secret
    /// Base URL, default `https://api.polyv.net`.
    public var endpoint: URL
    public var poll: PollSettings
    /// Warning when residual concurrency is at or below this.
    public var residualWarning: Int
    /// Critical when residual concurrency is at or below this.
    public var residualCritical: Int
    /// How far ahead `mr_concurrency_forecast` looks, in seconds; 0 turns it off.
    public var forecastHorizon: Double
    /// The polls of this many seconds back the forecast's trend is fitted to.
    public var forecastWindow: Double

    /// `forecast_horizon` and `forecast_window` when not written: 15m and 30m.
    public static let defaultForecast = (horizon: 900.0, window: 1_800.0)

    public init(
        name: String, appID: String, appSecret: Secret, endpoint: URL, poll: PollSettings,
        residualWarning: Int = 2, residualCritical: Int = 0,
        forecastHorizon: Double = defaultForecast.horizon, forecastWindow: Double = defaultForecast.window
    ) {
        self.name = name
        self.appID = appID
        self.appSecret = appSecret
        self.endpoint = endpoint
        self.poll = poll
        self.residualWarning = residualWarning
        self.residualCritical = residualCritical
        self.forecastHorizon = forecastHorizon
        self.forecastWindow = forecastWindow
    }
}
