import Foundation
import SQLite

/// The SQL of `livewatch check`: a handful of indexed lookups on a read-only connection (no schema migration,
/// no WAL checkpoint, never creating the file), in one read transaction so they see one moment.
public enum CheckQueries {
    /// Why the database could not be read.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// What the check reads from the database.
    public struct Snapshot: Sendable {
        /// Every monitor the database holds polls of, by name, with the vendor of its latest poll; nil unless
        /// asked for (`--database` alone).
        public var monitors: [(name: String, vendor: String)]?
        /// The facts about the monitors asked for.
        public var facts: CheckFacts
    }

    /// Monitors listed from `polls` at most; a database with more is not one livewatch wrote.
    public static let monitorLimit = 10_000

    /// Characters of an alert's message read at most.
    public static let messageLimit = 1_000

    /// Reads the database at `path`: the monitors it holds (when `listMonitors`), then, for each monitor of
    /// `monitors` (or of the listing, when nil), its last successful poll and, for those of `polyv`, its last
    /// concurrency observation; and the alerts firing now.
    public static func read(
        databasePath path: String, listMonitors: Bool, monitors: [(name: String, vendor: String)]?
    ) throws(Failure) -> Snapshot {
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure(message: "no database at \(path) (has the daemon run yet?)")
        }
        do {
            let database = try Database(
                path: path, options: .init(readOnly: true, busyTimeoutMilliseconds: 1_000, journalModeWAL: false))
            return try database.transaction(.deferred) {
                let listed = try listMonitors ? self.monitors(in: database) : nil
                let wanted = monitors ?? listed ?? []
                var facts = CheckFacts()
                for monitor in wanted {
                    facts.lastSuccess[monitor.name] = try lastSuccess(of: monitor.name, in: database)
                    if monitor.vendor == PolyvMonitorConfiguration.vendor {
                        facts.concurrency[monitor.name] = try concurrency(of: monitor.name, in: database)
                    }
                }
                facts.firing = try firing(in: database)
                return Snapshot(monitors: listed, facts: facts)
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(message: "cannot read the database \(path): \(error)")
        }
    }

    /// The distinct monitors of `polls`, by name, each with the vendor of its latest poll: a skip-scan of the
    /// `(monitor, started_at)` index, one seek per monitor, however many polls there are.
    static func monitors(in database: Database) throws -> [(name: String, vendor: String)] {
        let rows = try database.query(
            """
            WITH RECURSIVE names(monitor) AS (
                SELECT min(monitor) FROM polls
                UNION ALL
                SELECT (SELECT min(p.monitor) FROM polls p WHERE p.monitor > names.monitor) FROM names
                WHERE names.monitor IS NOT NULL
                LIMIT \(monitorLimit + 1)
            )
            SELECT monitor,
                   (SELECT vendor FROM polls p WHERE p.monitor = names.monitor ORDER BY p.started_at DESC LIMIT 1) AS vendor
            FROM names WHERE monitor IS NOT NULL
            """)
        guard rows.count <= monitorLimit else {
            throw Failure(message: "the database holds polls of more than \(monitorLimit) monitors")
        }
        return rows.compactMap { row in
            row.string("monitor").map { (name: $0, vendor: row.string("vendor") ?? "") }
        }
    }

    /// When `monitor`'s last successful poll finished: `monitor_state`, one key lookup; for a monitor without a
    /// row there (a database not written by the daemon), its latest successful row of `polls`.
    static func lastSuccess(of monitor: String, in database: Database) throws -> Date? {
        if let state = try database.first(
            "SELECT last_success_at FROM monitor_state WHERE monitor = ?", [monitor])
        {
            return state.int64("last_success_at").map { Date(timeIntervalSince1970: Double($0)) }
        }
        return try database.scalarInt64(
            "SELECT finished_at FROM polls WHERE monitor = ? AND ok = 1 ORDER BY started_at DESC LIMIT 1", [monitor]
        ).map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// `monitor`'s latest `mr_concurrency` row.
    static func concurrency(of monitor: String, in database: Database) throws -> CheckConcurrency? {
        guard
            let row = try database.first(
                "SELECT total, used, residual FROM mr_concurrency WHERE monitor = ? ORDER BY observed_at DESC LIMIT 1",
                [monitor])
        else { return nil }
        return CheckConcurrency(
            total: row.int64("total") ?? 0, used: row.int64("used") ?? 0, residual: row.int64("residual") ?? 0)
    }

    /// The alerts firing now, oldest first: a scan of the partial index of open episodes (an `ORDER BY` would
    /// make SQLite walk every episode by time instead), sorted here.
    static func firing(in database: Database) throws -> [CheckAlert] {
        try database.query(
            """
            SELECT id, rule, monitor, subject, severity, started_at, substr(message, 1, \(messageLimit)) AS message
            FROM alerts WHERE state = 'firing'
            """
        ).map { row in
            (
                id: row.int64("id") ?? 0,
                alert: CheckAlert(
                    rule: row.string("rule") ?? "", monitor: row.string("monitor") ?? "",
                    subject: row.string("subject") ?? "", severity: row.string("severity") ?? "",
                    startedAt: Date(timeIntervalSince1970: Double(row.int64("started_at") ?? 0)),
                    message: row.string("message") ?? "")
            )
        }.sorted { ($0.alert.startedAt, $0.id) < ($1.alert.startedAt, $1.id) }.map(\.alert)
    }
}
