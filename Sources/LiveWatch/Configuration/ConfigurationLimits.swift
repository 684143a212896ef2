/// The range of every duration and number key of the configuration, in one place: the loader reads
/// through these, `check-config` rejects what is outside them, and a test holds docs/configuration.md
/// to the same figures. The upper ends keep every value far from a trapping conversion.
public enum ConfigurationLimits {
    static let minute = 60.0
    static let hour = 3_600.0
    static let day = 86_400.0

    // daemon
    static let retention = hour...(3_650 * day)
    static let rollupRetention = day...(3_650 * day)
    static let pruneInterval = minute...(7 * day)
    static let failureThreshold: ClosedRange<Int64> = 1...1_000
    static let repeatInterval = minute...(30 * day)
    static let maxBackoff = 1.0...day
    static let shutdownTimeout = 1.0...hour
    static let outboxLimit: ClosedRange<Int64> = 100...1_000_000
    /// `daemon.listen`: its port (0 picks a free one) and its length.
    static let listenPort = 0...65_535
    static let listenLength = 300

    // defaults and every monitor
    static let interval = 1.0...day
    static let timeout = 0.1...hour

    // polyv
    static let residual: ClosedRange<Int64> = 0...1_000_000
    static let forecastHorizon = 0.0...day
    static let forecastWindow = 5.0...day

    // tencent_chat
    static let sdkAppID: ClosedRange<Int64> = 1...Int64(UInt32.max)
    static let pageSize: ClosedRange<Int64> = 1...20
    static let rateLimit: ClosedRange<Int64> = 1...1_000
    static let tencentMaxPages: ClosedRange<Int64> = 1...1_000_000
    static let crawlBudget = 1.0...day

    // metastudio
    static let expiryWindow = minute...(365 * day)
    static let metaStudioMaxPages: ClosedRange<Int64> = 1...100_000

    // volcengine
    static let linkExpiryWarning = minute...(365 * day)

    // rules
    static let ruleDelay = 0.0...(7 * day)

    // notifiers
    static let notifierTimeout = 0.1...(5 * minute)
    static let notifierMaxBackoff = 1.0...day
    static let giveUpAfter = minute...(30 * day)
    static let resendInterval = 10.0...day
    static let groupWait = 0.0...hour

    /// One documented key and its range, as docs/configuration.md writes it.
    public struct Entry: Sendable, Equatable {
        /// The key as the reference names it, e.g. `daemon.retention` or `tencent_chat.crawl_budget`.
        public let key: String
        /// `1h – 3650d`, `1 – 1000`.
        public let range: String
    }

    /// Every bounded key with its range, for the documentation test.
    public static let entries: [Entry] = [
        duration("daemon.retention", retention), duration("daemon.polls_retention", retention),
        duration("daemon.alerts_retention", retention), duration("daemon.rollup_retention", rollupRetention),
        duration("daemon.prune_interval", pruneInterval), number("daemon.failure_threshold", failureThreshold),
        duration("daemon.repeat_interval", repeatInterval), duration("daemon.max_backoff", maxBackoff),
        duration("daemon.shutdown_timeout", shutdownTimeout), number("daemon.outbox_limit", outboxLimit),
        duration("interval", interval), duration("timeout", timeout), Entry(key: "jitter", range: "0% – 50%"),
        number("polyv.residual_warning", residual), number("polyv.residual_critical", residual),
        duration("polyv.forecast_horizon", forecastHorizon), duration("polyv.forecast_window", forecastWindow),
        number("tencent_chat.sdk_app_id", sdkAppID), number("tencent_chat.page_size", pageSize),
        number("tencent_chat.rate_limit", rateLimit), number("tencent_chat.max_pages", tencentMaxPages),
        duration("tencent_chat.crawl_budget", crawlBudget),
        duration("metastudio.expiry_warning", expiryWindow), duration("metastudio.expiry_critical", expiryWindow),
        number("metastudio.max_pages", metaStudioMaxPages),
        Entry(key: "volcengine.activity_ids", range: "1 – \(Int64.max)"),
        duration("volcengine.link_expiry_warning", linkExpiryWarning),
        duration("rules.RULE.for", ruleDelay), duration("rules.RULE.keep_firing_for", ruleDelay),
        duration("notifiers.timeout", notifierTimeout), duration("notifiers.max_backoff", notifierMaxBackoff),
        duration("notifiers.give_up_after", giveUpAfter), duration("notifiers.resend_interval", resendInterval),
        duration("notifiers.group_wait", groupWait),
    ]

    static func duration(_ key: String, _ range: ClosedRange<Double>) -> Entry {
        Entry(
            key: key, range: "\(DurationParser.format(range.lowerBound)) – \(DurationParser.format(range.upperBound))")
    }

    static func number(_ key: String, _ range: ClosedRange<Int64>) -> Entry {
        Entry(key: key, range: "\(range.lowerBound) – \(range.upperBound)")
    }
}
