import Foundation

/// What the commands that only read the history (`report`, `alerts`, `check`, `db check`) take from the
/// configuration: the database path, each monitor's name, vendor and interval (and a Polyv monitor's residual
/// thresholds), the silences and the notifiers' names. Nothing in it is, or was read from, a secret.
public struct HistoryConfiguration: Sendable, Equatable {
    /// One configured monitor, as the history commands see it.
    public struct Monitor: Sendable, Equatable {
        /// The unique monitor name.
        public var name: String
        /// The vendor's short name, as stored in `polls.vendor`.
        public var vendor: String
        /// Seconds between polls after a success.
        public var interval: Double
        /// A Polyv monitor's `residual_warning` and `residual_critical`; nil for the other vendors.
        public var residualThresholds: ResidualThresholds?

        public init(name: String, vendor: String, interval: Double, residualThresholds: ResidualThresholds? = nil) {
            self.name = name
            self.vendor = vendor
            self.interval = interval
            self.residualThresholds = residualThresholds
        }
    }

    /// A Polyv monitor's thresholds: alerts at or below them.
    public struct ResidualThresholds: Sendable, Equatable {
        public var warning: Int
        public var critical: Int

        public init(warning: Int, critical: Int) {
            self.warning = warning
            self.critical = critical
        }
    }

    /// The SQLite file (`daemon.database`).
    public var database: String
    /// Every monitor, in file order.
    public var monitors: [Monitor]
    /// The `silences:` list.
    public var silences: [Silence]
    /// The notifiers' names, in file order (their URLs and secrets are not kept).
    public var notifierNames: [String]
    /// Accepted but questionable settings, as `check-config` would print them.
    public var warnings: [ConfigurationProblem]

    public init(
        database: String, monitors: [Monitor] = [], silences: [Silence] = [], notifierNames: [String] = [],
        warnings: [ConfigurationProblem] = []
    ) {
        self.database = database
        self.monitors = monitors
        self.silences = silences
        self.notifierNames = notifierNames
        self.warnings = warnings
    }

    /// The parts of a loaded configuration the history commands use.
    init(_ configuration: Configuration) {
        self.init(
            database: configuration.daemon.database,
            monitors: configuration.monitors.map { monitor in
                var thresholds: ResidualThresholds?
                if case .polyv(let polyv) = monitor {
                    thresholds = ResidualThresholds(warning: polyv.residualWarning, critical: polyv.residualCritical)
                }
                return Monitor(
                    name: monitor.name, vendor: monitor.vendor, interval: monitor.poll.interval,
                    residualThresholds: thresholds)
            },
            silences: configuration.silences, notifierNames: configuration.notifiers.map(\.name),
            warnings: configuration.warnings)
    }
}

extension ConfigurationLoader {
    /// Loads the file at `path` for a command that only reads the history: the structure is validated as
    /// strictly as `load(path:)` does (unknown keys, YAML errors, ranges), but no secret reference is resolved
    /// (`{ env: }`, `{ file: }`, `{ credential: }` are checked for their form only, and neither the environment
    /// nor any file but the configuration is read), so it works where only the service has the secrets.
    public func loadForHistory(path: String) throws(ConfigurationError) -> HistoryConfiguration {
        var loader = self
        loader.resolvesSecrets = false
        loader.environment = [:]
        return HistoryConfiguration(try loader.load(path: path))
    }

    /// `parse(_:path:)` in the history load mode (see `loadForHistory(path:)`).
    public func parseForHistory(_ text: String, path: String = "<config>") throws(ConfigurationError)
        -> HistoryConfiguration
    {
        var loader = self
        loader.resolvesSecrets = false
        loader.environment = [:]
        return HistoryConfiguration(try loader.parse(text, path: path))
    }
}
