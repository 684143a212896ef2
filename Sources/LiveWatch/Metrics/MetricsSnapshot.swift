import Foundation

/// What the database says the observation gauges were when the daemon last stopped: read at start
/// (by `MetricsQueries`, in Storage) so that a restart does not zero them.
public struct MetricsSnapshot: Sendable, Equatable {
    /// A platform of a MetaStudio listing, as its gauges show it.
    public struct Platform: Sendable, Equatable {
        public var platformID: String
        public var authorized: Bool
        public var expiresAt: Date?

        public init(platformID: String, authorized: Bool, expiresAt: Date?) {
            self.platformID = platformID
            self.authorized = authorized
            self.expiresAt = expiresAt
        }
    }

    /// A Volcengine start link with an expiry, by its alert subject.
    public struct Link: Sendable, Equatable {
        public var subject: String
        public var expiresAt: Date

        public init(subject: String, expiresAt: Date) {
            self.subject = subject
            self.expiresAt = expiresAt
        }
    }

    /// One monitor's last stored observation.
    public struct Monitor: Sendable, Equatable {
        public var lastSuccess: Date?
        public var concurrency: MRConcurrency?
        public var liveRooms: Int?
        /// The platforms of the last listing, nil when the monitor has none stored.
        public var platforms: [Platform]?
        /// The links of the last observation, nil when the monitor has none stored.
        public var links: [Link]?

        public init() {}
    }

    /// By monitor name (only the configured monitors).
    public var monitors: [String: Monitor] = [:]
    /// Open alert episodes by (rule, severity).
    public var firing: [FiringAlerts] = []
    /// Notifications waiting, by notifier.
    public var queued: [String: Int] = [:]

    public init() {}
}

/// How many alert episodes of one rule and severity are firing.
public struct FiringAlerts: Sendable, Equatable {
    public var rule: String
    public var severity: String
    public var count: Int

    public init(rule: String, severity: String, count: Int) {
        self.rule = rule
        self.severity = severity
        self.count = count
    }
}
