import Foundation
import SQLite

/// The rows `livewatch alerts` shows (`AlertHistory` decides silences and formats them), read on a
/// read-only connection of its own, so it works while the daemon runs.
public enum AlertHistoryReader {
    /// What the database says about alerts now; no episode is marked silenced yet.
    public struct Records: Sendable {
        /// Firing episodes, oldest first.
        public var firing: [AlertHistory.Episode]
        /// Pending alerts, oldest first (none in a database from before alert lifecycles).
        public var pending: [AlertHistory.Episode]
        /// Episodes that started or resolved within the period asked for; nil when none was.
        public var history: [AlertHistory.Episode]?
        /// Each notifier's counters and queue: those named, then any other the database knows, by name.
        public var notifiers: [AlertHistory.NotifierStatus]
        /// The alert-log outbox's queue and drops.
        public var alertLogOutbox: AlertHistory.AlertLogOutboxStatus
    }

    /// Reads the database at `path`; `since` (seconds before `now`) asks for the period's episodes.
    public static func read(databasePath path: String, since: Double?, notifierNames: [String], now: Date) throws
        -> Records
    {
        let database = try Database(
            path: path, options: .init(readOnly: true, busyTimeoutMilliseconds: 2_000, journalModeWAL: false))
        let hasLifecycle =
            try database.scalarInt64("SELECT count(*) FROM sqlite_master WHERE name = 'alert_pending'") ?? 0 > 0
        let firing = try database.query(
            "SELECT rule, monitor, subject, severity, state, started_at, resolved_at, last_value, message FROM alerts WHERE state = 'firing' ORDER BY started_at, id"
        ).map(episode)
        var pending: [AlertHistory.Episode] = []
        if hasLifecycle {
            pending = try database.query(
                "SELECT rule, monitor, subject, severity, since FROM alert_pending ORDER BY since"
            ).map { row in
                AlertHistory.Episode(
                    rule: row.string("rule") ?? "", monitor: row.string("monitor") ?? "",
                    subject: row.string("subject") ?? "",
                    severity: row.string("severity") ?? "", state: "pending",
                    startedAt: Date(timeIntervalSince1970: Double(row.int64("since") ?? 0)), resolvedAt: nil,
                    lastValue: nil,
                    message: "pending: the condition holds but not yet for the rule's `for`", silenced: false)
            }
        }
        var history: [AlertHistory.Episode]?
        if let since {
            let from = Int64(now.timeIntervalSince1970.rounded(.down)) - Seconds.whole(since)
            history = try database.query(
                """
                SELECT rule, monitor, subject, severity, state, started_at, resolved_at, last_value, message FROM alerts
                WHERE started_at >= ? OR resolved_at >= ? ORDER BY started_at, id
                """, [from, from]
            ).map(episode)
        }
        var notifiers: [AlertHistory.NotifierStatus] = []
        if hasLifecycle {
            var names = notifierNames
            for row in try database.query(
                "SELECT notifier FROM notifier_stats UNION SELECT notifier FROM notification_outbox ORDER BY 1")
            {
                if let name = row.string("notifier"), !names.contains(name) { names.append(name) }
            }
            for name in names {
                let stats = try database.first(
                    "SELECT delivered, failed_attempts, given_up, last_error FROM notifier_stats WHERE notifier = ?",
                    [name])
                notifiers.append(
                    AlertHistory.NotifierStatus(
                        name: name, queued: try NotificationOutbox.pendingCount(notifier: name, in: database),
                        delivered: Int(stats?.int64("delivered") ?? 0),
                        failedAttempts: Int(stats?.int64("failed_attempts") ?? 0),
                        givenUp: Int(stats?.int64("given_up") ?? 0), lastError: stats?.string("last_error"),
                        dropped: try OutboxTrimmer.dropped(.notifier(name), in: database)))
            }
        }
        let outbox = AlertHistory.AlertLogOutboxStatus(
            queued: try AlertLogOutbox.count(in: database), dropped: try OutboxTrimmer.dropped(.alertLog, in: database))
        return Records(firing: firing, pending: pending, history: history, notifiers: notifiers, alertLogOutbox: outbox)
    }

    /// One row of `alerts`, not silenced.
    static func episode(_ row: Row) -> AlertHistory.Episode {
        AlertHistory.Episode(
            rule: row.string("rule") ?? "", monitor: row.string("monitor") ?? "", subject: row.string("subject") ?? "",
            severity: row.string("severity") ?? "", state: row.string("state") ?? "",
            startedAt: Date(timeIntervalSince1970: Double(row.int64("started_at") ?? 0)),
            resolvedAt: row.int64("resolved_at").map { Date(timeIntervalSince1970: Double($0)) },
            lastValue: row.double("last_value"), message: row.string("message") ?? "", silenced: false)
    }
}
