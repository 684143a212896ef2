import Foundation
import SQLite

/// Keeps the outboxes bounded: `alert_log_outbox` (lines the alert log could not take yet) and
/// each notifier's rows of `notification_outbox` (notifications it could not deliver yet) hold at
/// most `daemon.outbox_limit` rows each.
///
/// Beyond the limit the oldest rows are dropped, resolutions last: a receiver told of a firing
/// still gets its resolution, unless nothing but resolutions is queued (see `dropRank`). Drops are counted in
/// `outbox_drops` (shown by `livewatch alerts`). When an outbox starts dropping, one critical
/// notice (`monitor_failing`, monitor `livewatch`) goes to the alert log; the next one only after
/// that outbox has been below its limit again.
public enum OutboxLimit {
    /// `daemon.outbox_limit` when the configuration does not set it.
    public static let defaultLimit = 10_000
    /// The `monitor` of the notices about dropping: livewatch itself, not one of its monitors.
    public static let noticeMonitor = "livewatch"

    /// One bounded queue.
    public enum Queue: Sendable, Hashable {
        /// `alert_log_outbox`.
        case alertLog
        /// The rows of one notifier in `notification_outbox`.
        case notifier(String)

        var outbox: String {
            switch self {
            case .alertLog: return "alert_log"
            case .notifier: return "notification"
            }
        }

        var notifier: String {
            switch self {
            case .alertLog: return ""
            case .notifier(let name): return name
            }
        }

        /// The subject of the notice about this queue.
        var subject: String {
            switch self {
            case .alertLog: return "alert_log_outbox"
            case .notifier(let name): return "notification_outbox/\(name)"
            }
        }
    }

    /// Trims the queues of `notifiers`, then the alert log's, to `limit` rows (inside the caller's
    /// transaction). Returns the notices of queues that started dropping, already queued for the alert log.
    static func enforce(limit: Int, notifiers: [String], at now: Date, in database: Database) throws -> [AlertLine] {
        let limit = max(1, limit)
        var notices: [AlertLine] = []
        for name in notifiers {
            if let notice = try trim(.notifier(name), limit: limit, at: now, in: database) { notices.append(notice) }
        }
        let insert = try database.cachedStatement("INSERT INTO alert_log_outbox (line, created_at) VALUES (?, ?)")
        for notice in notices {
            try insert.run([notice.json, ObservationWriter.unixSeconds(now)])
        }
        // The alert log's queue last, notices included.
        if let notice = try trim(.alertLog, limit: limit, at: now, in: database) {
            notices.append(notice)
            try insert.run([notice.json, ObservationWriter.unixSeconds(now)])
            // Its own notice counts too; the queue is dropping already, so this makes no second notice.
            _ = try trim(.alertLog, limit: limit, at: now, in: database)
        }
        return notices
    }

    /// Trims one queue to `limit` rows; the notice if it starts dropping now.
    static func trim(_ queue: Queue, limit: Int, at now: Date, in database: Database) throws -> AlertLine? {
        let count = Int(try countRows(queue, in: database))
        let wasDropping = try database.scalarInt64(
            "SELECT dropping FROM outbox_drops WHERE outbox = ? AND notifier = ?", [queue.outbox, queue.notifier]) == 1
        guard count > limit else {
            if wasDropping {
                try database.run(
                    "UPDATE outbox_drops SET dropping = 0 WHERE outbox = ? AND notifier = ?", [queue.outbox, queue.notifier])
            }
            return nil
        }
        let excess = count - limit
        try deleteOldest(queue, count: excess, in: database)
        try database.run(
            """
            INSERT INTO outbox_drops (outbox, notifier, dropped, dropping, last_dropped_at) VALUES (?, ?, ?, 1, ?)
            ON CONFLICT (outbox, notifier) DO UPDATE SET dropped = dropped + excluded.dropped, dropping = 1,
                last_dropped_at = excluded.last_dropped_at
            """, [queue.outbox, queue.notifier, excess, ObservationWriter.unixSeconds(now)])
        guard !wasDropping else { return nil }
        let message: String
        switch queue {
        case .alertLog:
            message = "the alert log cannot be written and its outbox reached its limit of \(limit) lines: "
                + "the oldest lines are being dropped (livewatch alerts counts them)"
        case .notifier(let name):
            message = "notifier \(name) cannot deliver and its outbox reached its limit of \(limit) notifications: "
                + "the oldest are being dropped (livewatch alerts counts them)"
        }
        return AlertLine(
            time: now, state: .notice, severity: .critical, rule: .monitorFailing, monitor: noticeMonitor,
            subject: queue.subject, message: message)
    }

    static func countRows(_ queue: Queue, in database: Database) throws -> Int64 {
        switch queue {
        case .alertLog:
            return try database.scalarInt64("SELECT count(*) FROM alert_log_outbox") ?? 0
        case .notifier(let name):
            return try database.scalarInt64("SELECT count(*) FROM notification_outbox WHERE notifier = ?", [name]) ?? 0
        }
    }

    /// How a row is kept when its queue is full: rows of a lower rank go first, oldest first. Resolutions
    /// (rank 1) go after every other line, so a resolution still follows a firing that was delivered; the
    /// notices about dropping (rank 2) go last, so the alert log learns that lines are missing.
    /// Guarded by `json_valid`: a line that is not JSON must not fail the poll's transaction.
    static let dropRank = """
        (CASE WHEN NOT json_valid(line) THEN 0
              WHEN json_extract(line, '$.state') = 'resolved' THEN 1
              WHEN json_extract(line, '$.state') = 'notice' AND json_extract(line, '$.rule') = 'monitor_failing'
                   AND json_extract(line, '$.monitor') = '\(noticeMonitor)' THEN 2
              ELSE 0 END)
        """

    /// Deletes the `count` oldest rows of `queue`, lowest `dropRank` first.
    static func deleteOldest(_ queue: Queue, count: Int, in database: Database) throws {
        let (table, filter, arguments): (String, String, [any SQLiteBindable])
        switch queue {
        case .alertLog: (table, filter, arguments) = ("alert_log_outbox", "1", [])
        case .notifier(let name): (table, filter, arguments) = ("notification_outbox", "notifier = ?", [name])
        }
        var remaining = count
        for rank in 0...2 where remaining > 0 {
            try database.run(
                """
                DELETE FROM \(table) WHERE id IN (
                    SELECT id FROM \(table) WHERE \(filter) AND \(dropRank) = \(rank) ORDER BY id LIMIT ?)
                """, arguments + [remaining])
            remaining -= database.changes
        }
    }

    /// Rows dropped so far from one queue (0 when it never dropped, or before the table existed).
    public static func dropped(_ queue: Queue, in database: Database) throws -> Int {
        guard try database.scalarInt64("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'outbox_drops'") ?? 0 > 0
        else { return 0 }
        return Int(try database.scalarInt64(
            "SELECT dropped FROM outbox_drops WHERE outbox = ? AND notifier = ?", [queue.outbox, queue.notifier]) ?? 0)
    }
}
