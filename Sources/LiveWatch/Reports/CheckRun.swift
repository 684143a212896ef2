import Foundation

/// One `livewatch check`: which monitors, against what, and the verdict. The executable parses the arguments
/// into a `CheckRun` and prints `result()`'s line.
public struct CheckRun: Sendable {
    /// Where the monitors come from.
    public enum Source: Sendable {
        /// The configuration (read in the history load mode): its database, monitors, intervals and silences.
        case configuration(HistoryConfiguration)
        /// A database alone: the monitors are those it holds polls of.
        case database(String)
    }

    /// `--max-age` when no configuration gives the monitors' intervals (`--database` alone).
    public static let databaseMaxAge: Double = 600

    /// A configured monitor's default `--max-age`: this many of its intervals.
    public static let intervalsOfMaxAge: Double = 3

    public var source: Source
    /// `--monitor` names; empty for every monitor.
    public var monitors: [String]
    /// `--max-age` in seconds, when given.
    public var maxAge: Double?
    /// Silences besides the configuration's (a second source, e.g. the database's, plugs in here).
    public var extraSilences: [any CheckSilencing]

    public init(
        source: Source, monitors: [String] = [], maxAge: Double? = nil, extraSilences: [any CheckSilencing] = []
    ) {
        self.source = source
        self.monitors = monitors
        self.maxAge = maxAge
        self.extraSilences = extraSilences
    }

    /// Reads the database and evaluates; every failure (a missing or unreadable database, an unknown monitor)
    /// is an UNKNOWN result, never a thrown error.
    public func result(now: Date = Date()) -> CheckResult {
        switch source {
        case .configuration(let configuration):
            var selected: [HistoryConfiguration.Monitor] = []
            for name in monitors.uniqued() {
                guard let monitor = configuration.monitors.first(where: { $0.name == name }) else {
                    return .unknown("no monitor named \(name) is configured")
                }
                selected.append(monitor)
            }
            if monitors.isEmpty { selected = configuration.monitors }
            guard !selected.isEmpty else { return .unknown("no monitors are configured") }
            let checked = selected.map { monitor in
                CheckMonitor(
                    name: monitor.name, vendor: monitor.vendor,
                    maxAge: maxAge ?? Self.intervalsOfMaxAge * monitor.interval,
                    residualThresholds: monitor.residualThresholds)
            }
            return evaluate(
                databasePath: configuration.database, listMonitors: false, checked: checked,
                silences: configuration.silences, now: now)
        case .database(let path):
            let snapshot: CheckQueries.Snapshot
            do {
                snapshot = try CheckQueries.read(databasePath: path, listMonitors: true, monitors: nil)
            } catch {
                return .unknown(error.message)
            }
            let held = snapshot.monitors ?? []
            var selected: [(name: String, vendor: String)] = []
            for name in monitors.uniqued() {
                guard let monitor = held.first(where: { $0.name == name }) else {
                    return .unknown("the database holds no polls of a monitor named \(name)")
                }
                selected.append(monitor)
            }
            if monitors.isEmpty { selected = held }
            guard !selected.isEmpty else { return .unknown("the database holds no polls yet") }
            let checked = selected.map {
                CheckMonitor(name: $0.name, vendor: $0.vendor, maxAge: maxAge ?? Self.databaseMaxAge)
            }
            return Self.evaluate(
                checked, facts: snapshot.facts, databasePath: path, silences: extraSilences, now: now)
        }
    }

    private func evaluate(
        databasePath: String, listMonitors: Bool, checked: [CheckMonitor], silences: [Silence], now: Date
    ) -> CheckResult {
        let snapshot: CheckQueries.Snapshot
        do {
            snapshot = try CheckQueries.read(
                databasePath: databasePath, listMonitors: listMonitors,
                monitors: checked.map { (name: $0.name, vendor: $0.vendor) })
        } catch {
            return .unknown(error.message)
        }
        return Self.evaluate(
            checked, facts: snapshot.facts, databasePath: databasePath,
            silences: silences.map { $0 as any CheckSilencing } + extraSilences, now: now)
    }

    /// `Check.evaluate` with the silences added with `livewatch silence add` (active at `now`) besides `silences`.
    private static func evaluate(
        _ checked: [CheckMonitor], facts: CheckFacts, databasePath: String, silences: [any CheckSilencing], now: Date
    ) -> CheckResult {
        let stored: [Silence]
        do {
            stored = try SilenceStore.active(at: now, databasePath: databasePath)
        } catch {
            return .unknown("\(error)")
        }
        return Check.evaluate(
            monitors: checked, facts: facts, silences: silences + stored.map { $0 as any CheckSilencing }, now: now)
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
