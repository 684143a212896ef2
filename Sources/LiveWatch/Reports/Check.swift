import Foundation

/// `livewatch check`'s verdict, a Nagios plugin's status: the exit code is the raw value.
public enum CheckStatus: Int32, Sendable, Comparable, CaseIterable {
    case ok = 0
    case warning = 1
    case critical = 2
    case unknown = 3

    /// `OK`, `WARNING`, `CRITICAL` or `UNKNOWN`, as the status line starts.
    public var label: String {
        switch self {
        case .ok: return "OK"
        case .warning: return "WARNING"
        case .critical: return "CRITICAL"
        case .unknown: return "UNKNOWN"
        }
    }

    /// What an alert of `severity` (as stored in `alerts.severity`) makes the check: `critical` CRITICAL,
    /// `warning` WARNING, `info` OK; a severity this version does not know, WARNING.
    public static func of(severity: String) -> CheckStatus {
        switch Severity(rawValue: severity) {
        case .critical?: return .critical
        case .warning?: return .warning
        case .info?: return .ok
        case nil: return .warning
        }
    }

    public static func < (lhs: CheckStatus, rhs: CheckStatus) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A selected monitor, with what its check compares against.
public struct CheckMonitor: Sendable, Equatable {
    /// The monitor's name.
    public var name: String
    /// Its vendor (`polyv`, ...); a Polyv monitor gets residual performance data.
    public var vendor: String
    /// Its last successful poll may be at most this many seconds old.
    public var maxAge: Double
    /// A Polyv monitor's thresholds, when the configuration is read (nil with `--database`).
    public var residualThresholds: HistoryConfiguration.ResidualThresholds?

    public init(
        name: String, vendor: String, maxAge: Double, residualThresholds: HistoryConfiguration.ResidualThresholds? = nil
    ) {
        self.name = name
        self.vendor = vendor
        self.maxAge = maxAge
        self.residualThresholds = residualThresholds
    }
}

/// An alert firing now (a row of `alerts` with `state = 'firing'`).
public struct CheckAlert: Sendable, Equatable {
    public var rule: String
    public var monitor: String
    public var subject: String
    /// `info`, `warning` or `critical`.
    public var severity: String
    public var startedAt: Date
    public var message: String

    public init(rule: String, monitor: String, subject: String, severity: String, startedAt: Date, message: String) {
        self.rule = rule
        self.monitor = monitor
        self.subject = subject
        self.severity = severity
        self.startedAt = startedAt
        self.message = message
    }
}

/// A monitor's last MR concurrency observation.
public struct CheckConcurrency: Sendable, Equatable {
    public var total: Int64
    public var used: Int64
    public var residual: Int64

    public init(total: Int64, used: Int64, residual: Int64) {
        self.total = total
        self.used = used
        self.residual = residual
    }
}

/// What the database says, for the check: read by `CheckQueries`.
public struct CheckFacts: Sendable, Equatable {
    /// Each monitor's last successful poll (absent: none recorded).
    public var lastSuccess: [String: Date]
    /// Each Polyv monitor's last concurrency observation (absent: none recorded).
    public var concurrency: [String: CheckConcurrency]
    /// The alerts firing now, oldest first.
    public var firing: [CheckAlert]

    public init(
        lastSuccess: [String: Date] = [:], concurrency: [String: CheckConcurrency] = [:], firing: [CheckAlert] = []
    ) {
        self.lastSuccess = lastSuccess
        self.concurrency = concurrency
        self.firing = firing
    }
}

/// Something that can silence a firing alert for the check: a silence of the configuration (`Silence`), or,
/// as a second source, silences kept elsewhere (e.g. in the database): the check takes any mix of them.
public protocol CheckSilencing: Sendable {
    /// True when it covers `alert` at `date`.
    func silences(_ alert: CheckAlert, at date: Date) -> Bool
}

extension Silence: CheckSilencing {
    /// True when this silence matches the alert's rule, monitor and subject and is active at `date`; an alert
    /// of a rule this version does not know matches only a silence without a `rules` filter.
    public func silences(_ alert: CheckAlert, at date: Date) -> Bool {
        if let rules {
            guard let rule = AlertRule(rawValue: alert.rule), rules.contains(rule) else { return false }
        }
        return (monitors?.contains(alert.monitor) ?? true) && (subjects?.contains(alert.subject) ?? true)
            && isActive(at: date)
    }
}

/// The result of a check: the status, the one line to print (status, text, performance data) and the exit code.
public struct CheckResult: Sendable, Equatable {
    /// The verdict.
    public var status: CheckStatus
    /// The text after `LIVEWATCH <STATUS> - `: the most important problem first, the others summarised.
    public var text: String
    /// The performance data items, each `'label'=value[UOM];warn;crit;min;max`.
    public var performanceData: [String]

    public init(status: CheckStatus, text: String, performanceData: [String] = []) {
        self.status = status
        self.text = text
        self.performanceData = performanceData
    }

    /// A check that could not be made (bad arguments, configuration or database): UNKNOWN with `reason`.
    public static func unknown(_ reason: String) -> CheckResult {
        CheckResult(status: .unknown, text: reason)
    }

    /// The exit status, per the Nagios plugin guidelines.
    public var exitCode: Int32 { status.rawValue }

    /// One line: `LIVEWATCH CRITICAL - text | perfdata`; no control character, and no `|` in the text.
    public var line: String {
        let head = "LIVEWATCH \(status.label) - " + Check.displayed(text, limit: Check.textLimit)
        guard !performanceData.isEmpty else { return head }
        return head + " | " + performanceData.joined(separator: " ")
    }
}

/// `livewatch check`'s evaluation: pure, from the selected monitors, what the database says and the silences.
public enum Check {
    /// The text of the status line is cut to this many characters (a vendor's message can be long).
    public static let textLimit = 400

    /// One problem found: a stale monitor or a firing alert.
    struct Problem {
        var status: CheckStatus
        /// 0 for a stale monitor (it watches nothing: the most important), 1 for an alert.
        var kind: Int
        var startedAt: Date
        var text: String
    }

    /// The status is the worst of the firing alerts' severities (silenced ones count as OK) for the selected
    /// monitors, and CRITICAL for a selected monitor whose last successful poll is older than its `maxAge`
    /// or that has none. The text names the most important problem (critical before warning, a stale monitor
    /// before an alert, then the oldest first) and counts the others.
    public static func evaluate(
        monitors: [CheckMonitor], facts: CheckFacts, silences: [any CheckSilencing], now: Date
    ) -> CheckResult {
        let selected = Set(monitors.map(\.name))
        var problems: [Problem] = []
        for monitor in monitors {
            guard let last = facts.lastSuccess[monitor.name] else {
                problems.append(
                    Problem(
                        status: .critical, kind: 0, startedAt: .distantPast,
                        text: "\(monitor.name): no successful poll recorded"))
                continue
            }
            let age = max(0, now.timeIntervalSince(last))
            if age > monitor.maxAge {
                problems.append(
                    Problem(
                        status: .critical, kind: 0, startedAt: last,
                        text:
                            "\(monitor.name): last successful poll \(DurationParser.format(age.rounded(.down))) ago "
                            + "(max age \(DurationParser.format(monitor.maxAge)))"))
            }
        }
        var silenced = 0
        var quiet = 0
        for alert in facts.firing where selected.contains(alert.monitor) {
            let status = CheckStatus.of(severity: alert.severity)
            guard status > .ok else {
                quiet += 1
                continue
            }
            if silences.contains(where: { $0.silences(alert, at: now) }) {
                silenced += 1
                continue
            }
            problems.append(
                Problem(status: status, kind: 1, startedAt: alert.startedAt, text: "\(alert.monitor): \(alert.message)")
            )
        }
        // Critical before warning, a stale monitor before an alert, the oldest first, then as found.
        problems = problems.enumerated().sorted { lhs, rhs in
            let (a, b) = (lhs.element, rhs.element)
            return (b.status.rawValue, a.kind, a.startedAt, lhs.offset) < (
                a.status.rawValue, b.kind, b.startedAt, rhs.offset
            )
        }.map(\.element)
        let performanceData = monitors.flatMap { performanceItems(for: $0, facts: facts, now: now) }
        var notes: [String] = []
        if silenced > 0 { notes.append("\(silenced) silenced") }
        if quiet > 0 { notes.append("\(quiet) info") }
        guard let first = problems.first else {
            let count = monitors.count == 1 ? "1 monitor" : "\(monitors.count) monitors"
            var text = "\(count) polled within max age, no alert firing"
            if !notes.isEmpty { text += " (alerts firing: " + notes.joined(separator: ", ") + ")" }
            return CheckResult(status: .ok, text: text, performanceData: performanceData)
        }
        var text = first.text
        let others = problems.dropFirst()
        if !others.isEmpty {
            let criticals = others.filter { $0.status == .critical }.count
            let warnings = others.count - criticals
            let parts = [(criticals, "critical"), (warnings, "warning")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
            text += " (+\(others.count) more: " + parts.joined(separator: ", ") + ")"
        }
        if !notes.isEmpty { text += " (" + notes.joined(separator: ", ") + ")" }
        return CheckResult(status: first.status, text: text, performanceData: performanceData)
    }

    /// A Polyv monitor's `'<monitor>_residual'=value;warning;critical;0;total`, then every monitor's
    /// `'<monitor>_age'=Ns;;maxAge;0`; a value not known is `U`.
    static func performanceItems(for monitor: CheckMonitor, facts: CheckFacts, now: Date) -> [String] {
        var items: [String] = []
        if monitor.vendor == PolyvMonitorConfiguration.vendor {
            let concurrency = facts.concurrency[monitor.name]
            let fields = [
                concurrency.map { "\($0.residual)" } ?? "U",
                monitor.residualThresholds.map { "\($0.warning)" } ?? "",
                monitor.residualThresholds.map { "\($0.critical)" } ?? "", "0",
                concurrency.map { "\($0.total)" } ?? "",
            ]
            items.append(label(monitor.name + "_residual") + "=" + fields.joined(separator: ";"))
        }
        let age = facts.lastSuccess[monitor.name].map { "\(Seconds.whole(max(0, now.timeIntervalSince($0))))s" }
        items.append(label(monitor.name + "_age") + "=" + (age ?? "U") + ";;\(Seconds.whole(monitor.maxAge));0")
        return items
    }

    /// A performance data label: single-quoted, a quote doubled, `=` and `|` (which end a label and the
    /// data) and unsafe characters written as `\u{..}` (see `DisplayText`), so a name from a database
    /// cannot break the line.
    static func label(_ name: String) -> String {
        var text = DisplayText.terminal(String(name.prefix(200)))
        text = text.replacingOccurrences(of: "=", with: "\\u{3D}").replacingOccurrences(of: "|", with: "\\u{7C}")
        return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// `text` for the status line: at most `limit` characters, control and bidi characters and `|` (which
    /// starts the performance data) written as `\u{..}`.
    static func displayed(_ text: String, limit: Int) -> String {
        var shown = DisplayText.terminal(text).replacingOccurrences(of: "|", with: "\\u{7C}")
        if shown.count > limit { shown = String(shown.prefix(limit - 1)) + "…" }
        return shown
    }
}
