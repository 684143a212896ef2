import Foundation
import SQLite

/// The alert state machine over the `alerts` table: given what an evaluation
/// says about each alert, it opens, escalates, repeats and resolves episodes and
/// returns the lines to write. It runs inside the poll's write transaction, so
/// the state and the observation are committed together.
public struct AlertBook: Sendable {
    /// How often a still-firing alert is written again, in seconds.
    public var repeatInterval: Double

    public init(repeatInterval: Double) {
        self.repeatInterval = repeatInterval
    }

    /// Applies `conditions` at `now`; returns the alert-log lines, in order.
    public func apply(_ conditions: [(AlertKey, AlertCondition)], now: Date, in database: Database) throws -> [AlertLine] {
        var lines: [AlertLine] = []
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        for (key, condition) in conditions {
            let open = try database.first(
                "SELECT id, severity, started_at, last_written_at FROM alerts WHERE rule = ? AND monitor = ? AND subject = ? AND state = 'firing'",
                [key.rule.rawValue, key.monitor, key.subject])
            switch condition {
            case .unknown:
                continue
            case .firing(let severity, let message, let value, let threshold):
                let line = AlertLine(
                    time: now, state: .firing, severity: severity, rule: key.rule, monitor: key.monitor,
                    subject: key.subject, message: message, value: value, threshold: threshold)
                guard let open, let id = open.int64("id") else {
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
                    "UPDATE alerts SET severity = ?, last_value = ?, message = ?, threshold = ?, last_written_at = ? WHERE id = ?",
                    [severity.rawValue, value, message, threshold, (changed || due) ? nowSeconds : lastWritten, id])
                if changed || due { lines.append(line) }
            case .clear(let message, let value):
                guard let open, let id = open.int64("id") else { continue }
                let severity = open.string("severity").flatMap(Severity.init(rawValue:)) ?? .warning
                let started = open.int64("started_at") ?? nowSeconds
                let fullMessage = message + " (fired for \(DurationParser.format(Double(max(0, nowSeconds - started)))))"
                try database.run(
                    "UPDATE alerts SET state = 'resolved', resolved_at = ?, last_value = ?, message = ? WHERE id = ?",
                    [nowSeconds, value, fullMessage, id])
                lines.append(AlertLine(
                    time: now, state: .resolved, severity: severity, rule: key.rule, monitor: key.monitor,
                    subject: key.subject, message: fullMessage, value: value))
            }
        }
        return lines
    }

    /// The open (firing) alerts of one monitor and rule, by subject.
    public func openSubjects(rule: AlertRule, monitor: String, in database: Database) throws -> [String] {
        try database.query(
            "SELECT subject FROM alerts WHERE rule = ? AND monitor = ? AND state = 'firing' ORDER BY subject",
            [rule.rawValue, monitor]
        ).compactMap { $0.string("subject") }
    }
}
