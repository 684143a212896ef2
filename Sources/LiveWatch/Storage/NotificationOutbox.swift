import Foundation
import SQLite

/// The `notification_outbox` table and its bookkeeping (`notified_alerts`, `notifier_stats`).
/// Rows are written in the poll's transaction (with the alert state), and read and updated by the
/// sender in short transactions of their own (through `NotificationOutboxStore`).
public enum NotificationOutbox {
    /// One queued notification, claimed for an attempt.
    public struct Row: Sendable, Equatable {
        /// The row's id (its place in the queue).
        public var id: Int64
        /// The notifier it is queued for.
        public var notifier: String
        /// The alert-log line, as JSON.
        public var line: String
        /// When the line's episode started firing (unix seconds).
        public var startedAt: Int64
        /// When it was queued (unix seconds).
        public var createdAt: Int64
        /// Attempts so far, this one included.
        public var attempts: Int

        /// The notification, or nil when the stored line cannot be read back.
        public var notification: AlertNotification? {
            AlertLine(json: line).map {
                AlertNotification(line: $0, startedAt: Date(timeIntervalSince1970: Double(startedAt)))
            }
        }
    }

    /// What the head of a notifier's queue looks like now.
    public enum Head: Sendable, Equatable {
        /// Nothing queued.
        case empty
        /// The oldest row waits (backoff, or another process's attempt) until this time.
        case notDue(Date)
        /// The oldest row, claimed: its attempt count is raised and others leave it alone until the lease ends.
        case claimed(Row)
    }

    /// Queues `line` for every notifier that wants it (inside the caller's transaction), as
    /// `NotificationRoute` decides, remembering which notifiers were told of which firing episode.
    public static func enqueue(
        _ line: AlertLine, silenced: Bool, notifiers: [NotifierConfiguration], in database: Database
    ) throws {
        let now = ObservationWriter.unixSeconds(line.time)
        let keyArguments: [any SQLiteBindable] = [line.rule.rawValue, line.monitor, line.subject]
        var startedAt = now
        if line.state != .notice,
            let started = try database.scalarInt64(
                "SELECT started_at FROM alerts WHERE rule = ? AND monitor = ? AND subject = ? ORDER BY id DESC LIMIT 1",
                keyArguments)
        {
            startedAt = started
        }
        let json = line.json
        for notifier in notifiers where notifier.accepts(rule: line.rule, monitor: line.monitor) {
            var notified = false
            if line.state != .notice {
                let count = try database.scalarInt64(
                    "SELECT count(*) FROM notified_alerts WHERE notifier = ? AND rule = ? AND monitor = ? AND subject = ?",
                    [notifier.name] + keyArguments)
                notified = (count ?? 0) > 0
            }
            let route = NotificationRoute(line: line, silenced: silenced, notifier: notifier, notified: notified)
            if route.forget {
                try database.run(
                    "DELETE FROM notified_alerts WHERE notifier = ? AND rule = ? AND monitor = ? AND subject = ?",
                    [notifier.name] + keyArguments)
            }
            guard route.send else { continue }
            if route.remember {
                try database.run(
                    "INSERT OR IGNORE INTO notified_alerts (notifier, rule, monitor, subject) VALUES (?, ?, ?, ?)",
                    [notifier.name] + keyArguments)
            }
            try database.run(
                """
                INSERT INTO notification_outbox (notifier, line, started_at, created_at, attempts, next_attempt_at)
                VALUES (?, ?, ?, ?, 0, ?)
                """,
                [notifier.name, json, startedAt, now, Double(now)])
        }
    }

    /// Claims the oldest row of `notifier` if it is due at `now`, leasing it for `lease` seconds.
    public static func claimHead(notifier: String, now: Date, lease: Double, in database: Database) throws -> Head {
        guard
            let row = try database.first(
                """
                SELECT id, line, started_at, created_at, attempts, next_attempt_at FROM notification_outbox
                WHERE notifier = ? ORDER BY id LIMIT 1
                """, [notifier]),
            let id = row.int64("id")
        else { return .empty }
        let nextAttempt = row.double("next_attempt_at") ?? 0
        guard nextAttempt <= now.timeIntervalSince1970 else { return .notDue(Date(timeIntervalSince1970: nextAttempt)) }
        let attempts = Int(row.int64("attempts") ?? 0) + 1
        try database.run(
            "UPDATE notification_outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?",
            [attempts, now.timeIntervalSince1970 + lease, id])
        return .claimed(
            Row(
                id: id, notifier: notifier, line: row.string("line") ?? "", startedAt: row.int64("started_at") ?? 0,
                createdAt: row.int64("created_at") ?? 0, attempts: attempts))
    }

    /// The oldest row of a notifier's queue: when its line was queued and when it is next due.
    public struct Oldest: Sendable, Equatable {
        /// When its line was queued (unix seconds): a group's wait counts from here.
        public var createdAt: Int64
        /// When it may be tried (unix seconds, as stored and compared: backoff, a "too fast" wait, or
        /// another process's lease).
        public var nextAttemptAt: Double
    }

    /// The oldest row of `notifier`, or nil when nothing is queued.
    public static func oldest(notifier: String, in database: Database) throws -> Oldest? {
        guard
            let row = try database.first(
                """
                SELECT created_at, next_attempt_at FROM notification_outbox WHERE notifier = ? ORDER BY id LIMIT 1
                """, [notifier])
        else { return nil }
        return Oldest(
            createdAt: row.int64("created_at") ?? 0,
            nextAttemptAt: row.double("next_attempt_at") ?? 0)
    }

    /// Claims the rows of one message: `choose` picks from the rows of `notifier` due at `now` (oldest
    /// first, at most `limit`, each with the attempt count it will have) and returns the ids to claim with
    /// its plan for them; those rows are leased for `lease` seconds and returned in the order chosen.
    /// Nil when no row is due.
    public static func claim<Plan>(
        notifier: String, now: Date, lease: Double, limit: Int, in database: Database,
        choose: ([Row]) -> (ids: [Int64], plan: Plan)
    ) throws -> (rows: [Row], plan: Plan)? {
        let candidates = try database.query(
            """
            SELECT id, line, started_at, created_at, attempts FROM notification_outbox
            WHERE notifier = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?
            """, [notifier, now.timeIntervalSince1970, Int64(max(1, limit))]
        ).compactMap { row -> Row? in
            guard let id = row.int64("id") else { return nil }
            return Row(
                id: id, notifier: notifier, line: row.string("line") ?? "", startedAt: row.int64("started_at") ?? 0,
                createdAt: row.int64("created_at") ?? 0, attempts: Int(row.int64("attempts") ?? 0) + 1)
        }
        guard !candidates.isEmpty else { return nil }
        let byID = Dictionary(candidates.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let (ids, plan) = choose(candidates)
        var claimed: [Row] = []
        var seen: Set<Int64> = []
        for id in ids {
            guard let row = byID[id], seen.insert(id).inserted else { continue }
            try database.run(
                "UPDATE notification_outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?",
                [row.attempts, now.timeIntervalSince1970 + lease, id])
            claimed.append(row)
        }
        return (claimed, plan)
    }

    /// Every row of `notifier` due at `now` waits until `until` (attempts unchanged): the rows behind a
    /// message that failed or was throttled wait with it.
    public static func postponeDue(notifier: String, until: Date, now: Date, in database: Database) throws {
        try database.run(
            "UPDATE notification_outbox SET next_attempt_at = ? WHERE notifier = ? AND next_attempt_at <= ?",
            [until.timeIntervalSince1970, notifier, now.timeIntervalSince1970])
    }

    /// An attempt that does not count (interrupted by shutdown, or throttled by the service): the row
    /// waits until `until` (now: due again at once).
    public static func release(_ row: Row, until: Date, in database: Database) throws {
        try database.run(
            "UPDATE notification_outbox SET attempts = max(0, attempts - 1), next_attempt_at = ? WHERE id = ?",
            [until.timeIntervalSince1970, row.id])
    }

    /// The row was delivered: it leaves the outbox and is counted.
    public static func markDelivered(_ row: Row, at now: Date, in database: Database) throws {
        try database.run("DELETE FROM notification_outbox WHERE id = ?", [row.id])
        try database.run(
            """
            INSERT INTO notifier_stats (notifier, delivered, last_delivered_at) VALUES (?, 1, ?)
            ON CONFLICT (notifier) DO UPDATE SET delivered = delivered + 1, last_delivered_at = excluded.last_delivered_at
            """, [row.notifier, ObservationWriter.unixSeconds(now)])
    }

    /// The attempt failed: the row waits until `retryAt`.
    public static func markFailed(_ row: Row, error: String, retryAt: Date, at now: Date, in database: Database) throws
    {
        try database.run(
            "UPDATE notification_outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?",
            [retryAt.timeIntervalSince1970, error, row.id])
        try countFailure(notifier: row.notifier, error: error, givenUp: false, at: now, in: database)
    }

    /// The row is given up: it leaves the outbox and is counted.
    public static func giveUp(_ row: Row, error: String, at now: Date, in database: Database) throws {
        try database.run("DELETE FROM notification_outbox WHERE id = ?", [row.id])
        try countFailure(notifier: row.notifier, error: error, givenUp: true, at: now, in: database)
    }

    static func countFailure(notifier: String, error: String, givenUp: Bool, at now: Date, in database: Database) throws
    {
        try database.run(
            """
            INSERT INTO notifier_stats (notifier, failed_attempts, given_up, last_failed_at, last_error) VALUES (?, 1, ?, ?, ?)
            ON CONFLICT (notifier) DO UPDATE SET failed_attempts = failed_attempts + 1, given_up = given_up + excluded.given_up,
                last_failed_at = excluded.last_failed_at, last_error = excluded.last_error
            """, [notifier, givenUp ? 1 : 0, ObservationWriter.unixSeconds(now), error])
    }

    /// Drops the rows of notifiers no longer configured; returns how many per notifier (each counted as given up).
    public static func dropRows(notConfigured configured: Set<String>, at now: Date, in database: Database) throws
        -> [String: Int]
    {
        var dropped: [String: Int] = [:]
        for row in try database.query("SELECT notifier, count(*) AS n FROM notification_outbox GROUP BY notifier") {
            guard let name = row.string("notifier"), !configured.contains(name) else { continue }
            let count = Int(row.int64("n") ?? 0)
            try database.run("DELETE FROM notification_outbox WHERE notifier = ?", [name])
            try database.run("DELETE FROM notified_alerts WHERE notifier = ?", [name])
            try database.run(
                """
                INSERT INTO notifier_stats (notifier, given_up, last_failed_at, last_error) VALUES (?, ?, ?, 'notifier removed from the configuration')
                ON CONFLICT (notifier) DO UPDATE SET given_up = given_up + excluded.given_up, last_failed_at = excluded.last_failed_at,
                    last_error = excluded.last_error
                """, [name, count, ObservationWriter.unixSeconds(now)])
            dropped[name] = count
        }
        return dropped
    }

    /// The firing alerts `notifier` was told about, as notifications (for Alertmanager's re-sends).
    public static func firing(toldTo notifier: String, in database: Database) throws -> [AlertNotification] {
        try database.query(
            """
            SELECT a.rule, a.monitor, a.subject, a.severity, a.started_at, a.last_written_at, a.message, a.last_value, a.threshold
            FROM alerts a JOIN notified_alerts n ON n.rule = a.rule AND n.monitor = a.monitor AND n.subject = a.subject
            WHERE n.notifier = ? AND a.state = 'firing' ORDER BY a.id
            """, [notifier]
        ).compactMap { row in
            guard let rule = row.string("rule").flatMap(AlertRule.init(rawValue:)), let monitor = row.string("monitor"),
                let subject = row.string("subject"),
                let severity = row.string("severity").flatMap(Severity.init(rawValue:)),
                let started = row.int64("started_at")
            else { return nil }
            let line = AlertLine(
                time: Date(timeIntervalSince1970: Double(row.int64("last_written_at") ?? started)), state: .firing,
                severity: severity, rule: rule, monitor: monitor, subject: subject,
                message: row.string("message") ?? "",
                value: row.double("last_value"), threshold: row.double("threshold"))
            return AlertNotification(line: line, startedAt: Date(timeIntervalSince1970: Double(started)))
        }
    }

    /// Rows queued for `notifier`.
    public static func pendingCount(notifier: String, in database: Database) throws -> Int {
        Int(try database.scalarInt64("SELECT count(*) FROM notification_outbox WHERE notifier = ?", [notifier]) ?? 0)
    }
}
