import Foundation
import SQLite

/// The SQL of `livewatch report`'s canned reports, run (read-only) against the reporting relations.
public enum ReportQueries {
    /// Runs `request` on a read-only connection to the database at `databasePath`.
    public static func run(_ request: ReportRequest, databasePath: String) throws -> ReportTable {
        let database = try Database(path: databasePath, options: .init(readOnly: true, busyTimeoutMilliseconds: 2_000))
        return try run(request, on: database)
    }

    /// Runs `request` on `database` (a read-only connection is enough).
    public static func run(_ request: ReportRequest, on database: Database) throws -> ReportTable {
        let now = Int64(request.now.timeIntervalSince1970)
        let since = now - Seconds.whole(request.since)
        let monitor: SQLiteValue = request.monitor.map { .text($0) } ?? .null
        let period = request.byHour ? "hourly" : "daily"
        let unit = request.byHour ? "hour" : "day"
        // The rollup reports' window: from the start of the bucket holding `since`, in bucket order.
        let rollupWindow = """
            WHERE bucket_start >= ?1 - (?1 % \(request.byHour ? 3_600 : 86_400)) AND (?2 IS NULL OR monitor = ?2)
            ORDER BY monitor, bucket_start
            """
        let (title, sql): (String, String)
        switch request.name {
        case .concurrency:
            title = "MR concurrency utilisation per \(unit)"
            sql = """
                SELECT monitor, strftime('%Y-%m-%dT%H:%M:%SZ', bucket_start, 'unixepoch') AS period_start, samples,
                       residual_min, round(residual_avg, 2) AS residual_avg, residual_max, used_max, total_max,
                       round(100.0 * used_max / NULLIF(total_max, 0), 1) AS peak_utilisation_pct,
                       round(100.0 * used_avg / NULLIF(total_max, 0), 1) AS avg_utilisation_pct
                FROM mr_concurrency_\(period)
                \(rollupWindow)
                """
        case .rooms:
            title = "Top rooms by view count growth"
            // Growth = the room's latest views (live_rooms: the report's window always ends now) minus its views
            // at its last sample before the window, or at its first sample if it appeared inside the window.
            // A room in the monitor's last crawl before the window (every room, when each crawl stores every
            // room) costs one primary-key lookup; only a room missing from that crawl (samples stored on change,
            // or a room absent then) walks back through the crawls before it.
            sql = """
                WITH edges AS (
                    SELECT m.monitor,
                           (SELECT c.crawl FROM live_room_crawls c WHERE c.monitor = m.monitor AND c.observed_at < ?1
                            ORDER BY c.observed_at DESC LIMIT 1) AS baseline
                    FROM (SELECT DISTINCT monitor FROM live_room_crawls WHERE ?2 IS NULL OR monitor = ?2) m
                ),
                measured AS (
                    SELECT r.monitor, r.room_id, r.room_name, r.owner_account, r.view_count AS views_end,
                           coalesce(
                               (SELECT d.view_count FROM live_room_sample_data d WHERE d.crawl = e.baseline AND d.room_key = r.room_key),
                               (SELECT d.view_count FROM live_room_crawls c
                                JOIN live_room_sample_data d ON d.crawl = c.crawl AND d.room_key = r.room_key
                                WHERE r.first_seen >= ?1 AND c.monitor = r.monitor AND c.observed_at = r.first_seen),
                               (SELECT d.view_count FROM live_room_sample_data d
                                WHERE r.first_seen < ?1 AND d.room_key = r.room_key AND d.crawl < e.baseline
                                ORDER BY d.crawl DESC LIMIT 1)
                           ) AS views_start
                    FROM live_rooms r JOIN edges e ON e.monitor = r.monitor
                    WHERE r.last_seen >= ?1
                )
                SELECT monitor, room_id, room_name, owner_account, views_start, views_end, views_end - views_start AS growth
                FROM measured
                ORDER BY growth IS NULL, growth DESC, room_id LIMIT \(max(1, request.limit))
                """
        case .roomsLive:
            title = "Live rooms per \(unit)"
            sql = """
                SELECT monitor, strftime('%Y-%m-%dT%H:%M:%SZ', bucket_start, 'unixepoch') AS period_start, crawls,
                       round(live_rooms_avg, 1) AS live_rooms_avg, live_rooms_max, rooms_seen_max, view_count_max
                FROM room_activity_\(period)
                \(rollupWindow)
                """
        case .authorizations:
            title = "Platform authorizations by days to expiry"
            sql = """
                SELECT p.monitor, p.platform_id, p.platform_name, p.access_type, p.authorize_state,
                       strftime('%Y-%m-%dT%H:%M:%SZ', p.expire_time, 'unixepoch') AS expires,
                       round((p.expire_time - ?3) / 86400.0, 1) AS days_to_expiry
                FROM platform_authorizations p
                JOIN (SELECT monitor, max(observed_at) AS latest FROM platform_authorizations
                      WHERE (?2 IS NULL OR monitor = ?2) AND observed_at >= ?1 GROUP BY monitor) l
                  ON l.monitor = p.monitor AND l.latest = p.observed_at
                ORDER BY p.expire_time IS NULL, p.expire_time, p.platform_id
                """
        case .alerts:
            title = "Alerts per rule"
            sql = """
                SELECT rule, monitor, count(*) AS episodes, sum(state = 'firing') AS firing_now,
                       max(CASE severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) AS worst,
                       sum(min(coalesce(resolved_at, ?3), ?3) - max(started_at, ?1)) AS seconds_firing
                FROM alerts
                WHERE coalesce(resolved_at, ?3) >= ?1 AND started_at <= ?3 AND (?2 IS NULL OR monitor = ?2)
                GROUP BY rule, monitor ORDER BY seconds_firing DESC, rule, monitor
                """
        case .polls:
            title = "Polls per monitor"
            // p95 is the nearest rank (the smallest duration with at least 95% of the polls at or below it),
            // read from a histogram of distinct durations instead of ranking every row.
            sql = """
                WITH recent AS MATERIALIZED (
                    SELECT monitor, vendor, ok, duration_ms FROM polls WHERE started_at >= ?1 AND (?2 IS NULL OR monitor = ?2)
                ),
                summary AS (
                    SELECT monitor, max(vendor) AS vendor, count(*) AS polls, sum(ok) AS ok,
                           round(100.0 * sum(ok) / count(*), 2) AS success_pct, round(avg(duration_ms), 1) AS avg_ms,
                           max(duration_ms) AS max_ms
                    FROM recent GROUP BY monitor
                ),
                histogram AS MATERIALIZED (
                    SELECT monitor, duration_ms, sum(count(*)) OVER (PARTITION BY monitor ORDER BY duration_ms) AS at_or_below
                    FROM recent GROUP BY monitor, duration_ms
                )
                SELECT s.monitor, s.vendor, s.polls, s.ok, s.success_pct, s.avg_ms,
                       (SELECT min(h.duration_ms) FROM histogram h
                        WHERE h.monitor = s.monitor AND h.at_or_below * 100 >= s.polls * 95) AS p95_ms,
                       s.max_ms
                FROM summary s ORDER BY s.monitor
                """
        }
        let statement = try database.prepare(sql)
        let arguments: [any SQLiteBindable] = Array(
            [since as any SQLiteBindable, monitor, now].prefix(statement.parameterCount))
        var rows = try statement.query(arguments).map(\.values)
        if request.name == .alerts {
            // Severity as a word, not its rank.
            rows = rows.map { row in
                var row = row
                if case .integer(let rank) = row[4] {
                    row[4] = .text(rank == 2 ? "critical" : rank == 1 ? "warning" : "info")
                }
                return row
            }
        }
        return ReportTable(title: title, columns: statement.columnNames, rows: rows)
    }
}
