import Foundation
import SQLite

/// The alert book's state in the `alerts` table (one row per episode; at most one `firing` row per
/// alert, which the schema enforces) and `alert_pending`. Use it inside the poll's write
/// transaction, so alert state and observation are committed together.
public struct SQLiteAlertStateStore: AlertStateStore {
    let database: Database

    /// The store on `database` (a connection inside a write transaction).
    public init(database: Database) {
        self.database = database
    }

    /// One query per rule and monitor among `keys`: its firing episodes and its pending alerts.
    public func states(of keys: [AlertKey]) throws -> [AlertKey: AlertState] {
        let wanted = Set(keys)
        var groups: [Group] = []
        var seen = Set<Group>()
        for key in keys where seen.insert(Group(rule: key.rule, monitor: key.monitor)).inserted {
            groups.append(Group(rule: key.rule, monitor: key.monitor))
        }
        var states: [AlertKey: AlertState] = [:]
        let select = try database.statement(Self.selectStates)
        for group in groups {
            for row in try select.query([group.rule.rawValue, group.monitor]) {
                guard let subject = row.string("subject") else { continue }
                let key = AlertKey(rule: group.rule, monitor: group.monitor, subject: subject)
                guard wanted.contains(key) else { continue }
                let severity = row.string("severity").flatMap(Severity.init(rawValue:))
                if row.int64("open") == 1, let startedAt = row.int64("started_at") {
                    states[key, default: .quiet].episode = AlertState.Episode(
                        severity: severity, startedAt: startedAt, lastWrittenAt: row.int64("last_written_at") ?? 0,
                        clearSince: row.int64("since"))
                } else if row.int64("open") == 0, let since = row.int64("since") {
                    states[key, default: .quiet].pending = AlertState.Pending(severity: severity, since: since)
                }
            }
        }
        return states
    }

    /// One rule on one monitor.
    private struct Group: Hashable {
        var rule: AlertRule
        var monitor: String
    }

    /// The firing episodes (`open` 1, `since` their clear_since; at most one per subject) and the
    /// pending alerts (`open` 0) of one rule on one monitor.
    static let selectStates: StaticString = """
        SELECT 1 AS open, subject, severity, started_at, last_written_at, clear_since AS since FROM alerts
        WHERE rule = ?1 AND monitor = ?2 AND state = 'firing'
        UNION ALL
        SELECT 0, subject, severity, NULL, NULL, since FROM alert_pending WHERE rule = ?1 AND monitor = ?2
        """

    /// Runs the statement of `change`.
    public func save(_ change: AlertStateChange, for key: AlertKey) throws {
        let (rule, monitor, subject) = (key.rule.rawValue, key.monitor, key.subject)
        switch change {
        case .pendingStarted(let severity, let since):
            try database.statement(
                "INSERT INTO alert_pending (rule, monitor, subject, severity, since) VALUES (?, ?, ?, ?, ?)"
            ).execute(rule, monitor, subject, severity.rawValue, since)
        case .pendingSeverityChanged(let severity):
            try database.statement(
                "UPDATE alert_pending SET severity = ? WHERE rule = ? AND monitor = ? AND subject = ?"
            ).execute(severity.rawValue, rule, monitor, subject)
        case .pendingDropped:
            try database.statement("DELETE FROM alert_pending WHERE rule = ? AND monitor = ? AND subject = ?")
                .execute(rule, monitor, subject)
        case .opened(let severity, let startedAt, let value, let message, let threshold):
            try database.statement(
                """
                INSERT INTO alerts (rule, monitor, subject, severity, state, started_at, last_value, message, threshold, last_written_at)
                VALUES (?, ?, ?, ?, 'firing', ?, ?, ?, ?, ?)
                """
            ).execute(rule, monitor, subject, severity.rawValue, startedAt, value, message, threshold, startedAt)
        case .stillFiring(let severity, let value, let message, let threshold, let lastWrittenAt):
            try database.statement(
                """
                UPDATE alerts SET severity = ?, last_value = ?, message = ?, threshold = ?, last_written_at = ?, clear_since = NULL
                WHERE rule = ? AND monitor = ? AND subject = ? AND state = 'firing'
                """
            ).execute(severity.rawValue, value, message, threshold, lastWrittenAt, rule, monitor, subject)
        case .clearing(let since, let value):
            try database.statement(
                "UPDATE alerts SET clear_since = ?, last_value = ? WHERE rule = ? AND monitor = ? AND subject = ? AND state = 'firing'"
            ).execute(since, value, rule, monitor, subject)
        case .resolved(let at, let value, let message):
            try database.statement(
                """
                UPDATE alerts SET state = 'resolved', resolved_at = ?, last_value = ?, message = ?, clear_since = NULL
                WHERE rule = ? AND monitor = ? AND subject = ? AND state = 'firing'
                """
            ).execute(at, value, message, rule, monitor, subject)
        }
    }

    /// The subjects of `rule` firing on `monitor`, by subject.
    public func openSubjects(rule: AlertRule, monitor: String) throws -> [String] {
        try database.statement(
            "SELECT subject FROM alerts WHERE rule = ? AND monitor = ? AND state = 'firing' ORDER BY subject"
        ).query([rule.rawValue, monitor]).compactMap { $0.string("subject") }
    }

    /// The pending alerts of `monitor` (rows of rules this livewatch does not know are left alone).
    public func pendingKeys(of monitor: String) throws -> [AlertKey] {
        try database.statement("SELECT rule, subject FROM alert_pending WHERE monitor = ?").query([monitor]).compactMap
        { row in
            guard let rule = row.string("rule").flatMap(AlertRule.init(rawValue:)), let subject = row.string("subject")
            else { return nil }
            return AlertKey(rule: rule, monitor: monitor, subject: subject)
        }
    }
}
