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

    public init(
        daemon: DaemonSettings = DaemonSettings(), defaults: PollSettings = PollSettings(),
        monitors: [MonitorConfiguration] = [], warnings: [ConfigurationProblem] = []
    ) {
        self.daemon = daemon
        self.defaults = defaults
        self.monitors = monitors
        self.warnings = warnings
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
    /// Consecutive failed polls before `monitor_failing` fires.
    public var failureThreshold = 3
    /// A still-firing alert is written again this often (seconds).
    public var repeatInterval: Double = 6 * 3_600
    /// The longest wait between retries of a failing monitor (seconds).
    public var maxBackoff: Double = 300
    /// How long a stopping daemon waits for in-flight polls (seconds).
    public var shutdownTimeout: Double = 10

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
public enum MonitorConfiguration: Sendable {
    case polyv(PolyvMonitorConfiguration)

    /// The unique monitor name.
    public var name: String {
        switch self {
        case .polyv(let configuration): return configuration.name
        }
    }

    /// The vendor's short name, as stored in `polls.vendor`.
    public var vendor: String {
        switch self {
        case .polyv: return "polyv"
        }
    }

    /// Its poll settings, defaults applied.
    public var poll: PollSettings {
        switch self {
        case .polyv(let configuration): return configuration.poll
        }
    }

    /// Every secret it holds, so logs and errors can be scrubbed of them.
    public var secrets: [Secret] {
        switch self {
        case .polyv(let configuration): return [configuration.appSecret]
        }
    }
}

/// A Polyv MR concurrency monitor.
public struct PolyvMonitorConfiguration: Sendable {
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

    public init(
        name: String, appID: String, appSecret: Secret, endpoint: URL, poll: PollSettings,
        residualWarning: Int = 2, residualCritical: Int = 0
    ) {
        self.name = name
        self.appID = appID
        self.appSecret = appSecret
        self.endpoint = endpoint
        self.poll = poll
        self.residualWarning = residualWarning
        self.residualCritical = residualCritical
    }
}
