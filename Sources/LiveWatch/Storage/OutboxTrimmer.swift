import Foundation
import SQLite

/// Keeps `alert_log_outbox` and each notifier's rows of `notification_outbox` at their limit, inside
/// the poll's transaction: the oldest rows go first, resolutions last and the notices about dropping
/// after everything else (see `dropRank`), and every drop is counted in `outbox_drops`, whose
/// `dropping` flag makes the notice of `OutboxLimit` come once per episode.
public enum OutboxTrimmer {
    /// Trims the queues of `notifiers`, then the alert log's, to `limit` rows (inside the caller's
    /// transaction). Returns the notices of queues that started dropping, already queued for the alert log.
    static func enforce(limit: Int, notifiers: [String], at now: Date, in database: Database) throws -> [AlertLine] {
        let limit = max(1, limit)
        var notices: [AlertLine] = []
        for name in notifiers {
            if let notice = try trim(.notifier(name), limit: limit, at: now, in: database) { notices.append(notice) }
        }
        for notice in notices {
            try AlertLogOutbox.insert(notice.json, at: now, in: database)
        }
        // The alert log's queue last, notices included.
        if let notice = try trim(.alertLog, limit: limit, at: now, in: database) {
            notices.append(notice)
            try AlertLogOutbox.insert(notice.json, at: now, in: database)
            // Its own notice counts too; the queue is dropping already, so this makes no second notice.
            _ = try trim(.alertLog, limit: limit, at: now, in: database)
        }
        return notices
    }

    /// Trims one queue to `limit` rows; the notice if it starts dropping now.
    static func trim(_ queue: OutboxLimit.Queue, limit: Int, at now: Date, in database: Database) throws -> AlertLine? {
        let (outbox, notifier) = key(of: queue)
        let count = Int(try countRows(queue, in: database))
        let wasDropping =
            try database.scalarInt64(
                "SELECT dropping FROM outbox_drops WHERE outbox = ? AND notifier = ?", [outbox, notifier]) == 1
        guard count > limit else {
            if wasDropping {
                try database.run(
                    "UPDATE outbox_drops SET dropping = 0 WHERE outbox = ? AND notifier = ?", [outbox, notifier])
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
            """, [outbox, notifier, excess, ObservationWriter.unixSeconds(now)])
        guard !wasDropping else { return nil }
        return OutboxLimit.notice(queue, limit: limit, at: now)
    }

    /// The queue's key in `outbox_drops`: (`outbox`, `notifier`).
    static func key(of queue: OutboxLimit.Queue) -> (outbox: String, notifier: String) {
        switch queue {
        case .alertLog: return ("alert_log", "")
        case .notifier(let name): return ("notification", name)
        }
    }

    static func countRows(_ queue: OutboxLimit.Queue, in database: Database) throws -> Int64 {
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
                   AND json_extract(line, '$.monitor') = '\(OutboxLimit.noticeMonitor)' THEN 2
              ELSE 0 END)
        """

    /// Deletes the `count` oldest rows of `queue`, lowest `dropRank` first.
    static func deleteOldest(_ queue: OutboxLimit.Queue, count: Int, in database: Database) throws {
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
    public static func dropped(_ queue: OutboxLimit.Queue, in database: Database) throws -> Int {
        guard
            try database.scalarInt64(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'outbox_drops'") ?? 0 > 0
        else { return 0 }
        let (outbox, notifier) = key(of: queue)
        return Int(
            try database.scalarInt64(
                "SELECT dropped FROM outbox_drops WHERE outbox = ? AND notifier = ?", [outbox, notifier]) ?? 0)
    }
}
