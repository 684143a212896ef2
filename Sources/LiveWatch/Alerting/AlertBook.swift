import Foundation
import SQLite

/// The alert state machine over the `alerts` table: given what an evaluation
/// says about each alert, it opens, escalates, repeats and resolves episodes and
/// returns the lines to write. It runs inside the poll's write transaction, so
/// the state and the observation are committed together.
///
/// With a rule's `for`, a condition first becomes pending (`alert_pending`) and
/// fires only once it has held that long; with `keep_firing_for`, a firing alert
/// resolves only after its condition has stayed clear that long (`alerts.clear_since`).
public struct AlertBook: Sendable {
    /// How often a still-firing alert is written again, in seconds.
    public var repeatInterval: Double
    /// Lifecycle settings per rule; a rule not listed fires and resolves at once.
    public var rules: [AlertRule: AlertRuleSettings]

    public init(repeatInterval: Double, rules: [AlertRule: AlertRuleSettings] = [:]) {
        self.repeatInterval = repeatInterval
        self.rules = rules
    }

    /// Applies `conditions` at `now`; returns the alert-log lines, in order.
    ///
    /// - Parameter monitor: when given (a successful poll of that monitor), pending alerts of the
    ///   monitor that no condition mentions any more are dropped: their subject went away.
    public func apply(
        _ conditions: [(AlertKey, AlertCondition)], now: Date, in database: Database, pruningPendingOf monitor: String? = nil
    ) throws -> [AlertLine] {
        var lines: [AlertLine] = []
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        for (key, condition) in conditions {
            let settings = rules[key.rule] ?? AlertRuleSettings()
            let keyArguments: [any SQLiteBindable] = [key.rule.rawValue, key.monitor, key.subject]
            let open = try database.first(
                "SELECT id, severity, started_at, last_written_at, clear_since FROM alerts WHERE rule = ? AND monitor = ? AND subject = ? AND state = 'firing'",
                keyArguments)
            switch condition {
            case .unknown:
                continue
            case .firing(let severity, let message, let value, let threshold):
                let line = AlertLine(
                    time: now, state: .firing, severity: severity, rule: key.rule, monitor: key.monitor,
                    subject: key.subject, message: message, value: value, threshold: threshold)
                guard let open, let id = open.int64("id") else {
                    if settings.pendingFor > 0 {
                        let since = try database.first(
                            "SELECT since FROM alert_pending WHERE rule = ? AND monitor = ? AND subject = ?", keyArguments
                        )?.int64("since")
                        guard let since else {
                            try database.run(
                                "INSERT INTO alert_pending (rule, monitor, subject, severity, since) VALUES (?, ?, ?, ?, ?)",
                                keyArguments + [severity.rawValue, nowSeconds])
                            continue
                        }
                        guard Double(nowSeconds - since) >= settings.pendingFor else {
                            try database.run(
                                "UPDATE alert_pending SET severity = ? WHERE rule = ? AND monitor = ? AND subject = ?",
                                [severity.rawValue] + keyArguments)
                            continue
                        }
                    }
                    try database.run("DELETE FROM alert_pending WHERE rule = ? AND monitor = ? AND subject = ?", keyArguments)
                    try database.run(
                        """
                        INSERT INTO alerts (rule, monitor, subject, severity, state, started_at, last_value, message, threshold, last_written_at)
                        VALUES (?, ?, ?, ?, 'firing', ?, ?, ?, ?, ?)
                        """,
                        [key.rule.rawValue, key.monitor, key.subject, severity.rawValue, nowSeconds, value, message, threshold, nowSeconds])
                    lines.append(line)
                    continue
                }
                let previous = open.string("severity").flatMap(Severity.init(rawValue:))
                let lastWritten = open.int64("last_written_at") ?? 0
                let changed = previous != severity
                let due = Double(nowSeconds - lastWritten) >= repeatInterval
                try database.run(
                    "UPDATE alerts SET severity = ?, last_value = ?, message = ?, threshold = ?, last_written_at = ?, clear_since = NULL WHERE id = ?",
                    [severity.rawValue, value, message, threshold, (changed || due) ? nowSeconds : lastWritten, id])
                if changed || due { lines.append(line) }
            case .clear(let message, let value):
                guard let open, let id = open.int64("id") else {
                    try database.run("DELETE FROM alert_pending WHERE rule = ? AND monitor = ? AND subject = ?", keyArguments)
                    continue
                }
                if settings.keepFiringFor > 0 {
                    guard let clearSince = open.int64("clear_since") else {
                        try database.run("UPDATE alerts SET clear_since = ?, last_value = ? WHERE id = ?", [nowSeconds, value, id])
                        continue
                    }
                    guard Double(nowSeconds - clearSince) >= settings.keepFiringFor else { continue }
                }
                let severity = open.string("severity").flatMap(Severity.init(rawValue:)) ?? .warning
                let started = open.int64("started_at") ?? nowSeconds
                let fullMessage = message + " (fired for \(DurationParser.format(Double(max(0, nowSeconds - started)))))"
                try database.run(
                    "UPDATE alerts SET state = 'resolved', resolved_at = ?, last_value = ?, message = ?, clear_since = NULL WHERE id = ?",
                    [nowSeconds, value, fullMessage, id])
                lines.append(AlertLine(
                    time: now, state: .resolved, severity: severity, rule: key.rule, monitor: key.monitor,
                    subject: key.subject, message: fullMessage, value: value))
            }
        }
        if let monitor {
            try prunePending(of: monitor, keeping: Set(conditions.map(\.0)), in: database)
        }
        return lines
    }

    /// Drops pending alerts of `monitor` whose key is not in `keys`.
    func prunePending(of monitor: String, keeping keys: Set<AlertKey>, in database: Database) throws {
        let pending = try database.query("SELECT rule, subject FROM alert_pending WHERE monitor = ?", [monitor])
        for row in pending {
            guard let ruleName = row.string("rule"), let rule = AlertRule(rawValue: ruleName), let subject = row.string("subject"),
                  !keys.contains(AlertKey(rule: rule, monitor: monitor, subject: subject))
            else { continue }
            try database.run("DELETE FROM alert_pending WHERE rule = ? AND monitor = ? AND subject = ?", [ruleName, monitor, subject])
        }
    }

    /// The open (firing) alerts of one monitor and rule, by subject.
    public func openSubjects(rule: AlertRule, monitor: String, in database: Database) throws -> [String] {
        try database.query(
            "SELECT subject FROM alerts WHERE rule = ? AND monitor = ? AND state = 'firing' ORDER BY subject",
            [rule.rawValue, monitor]
        ).compactMap { $0.string("subject") }
    }
}
