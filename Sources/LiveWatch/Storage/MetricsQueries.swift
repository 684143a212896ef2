import Foundation
import SQLite

/// What the metrics read from the database: the last stored observation of each configured monitor
/// (at start, so that a restart does not zero the gauges), the open alert episodes and the
/// notifications waiting. Each monitor's reads use its `(monitor, observed_at)` index: a year of
/// history costs no more than a day.
public enum MetricsQueries {
    /// The snapshot of `monitors` (name and vendor), on the store's connection.
    public static func snapshot(monitors: [(name: String, vendor: String)], in database: Database) throws
        -> MetricsSnapshot
    {
        var snapshot = MetricsSnapshot()
        for (name, vendor) in monitors {
            var stored = MetricsSnapshot.Monitor()
            let lastSuccess = try database.scalarInt64(
                "SELECT last_success_at FROM monitor_state WHERE monitor = ?", [name])
            stored.lastSuccess = lastSuccess.map { Date(timeIntervalSince1970: Double($0)) }
            switch vendor {
            case PolyvMonitorConfiguration.vendor:
                if let row = try database.first(
                    "SELECT total, used, residual FROM mr_concurrency WHERE monitor = ? ORDER BY observed_at DESC LIMIT 1",
                    [name])
                {
                    stored.concurrency = MRConcurrency(
                        total: Int(row.int64("total") ?? 0), used: Int(row.int64("used") ?? 0),
                        residual: Int(row.int64("residual") ?? 0), channelIDs: [])
                }
            case TencentChatMonitorConfiguration.vendor:
                stored.liveRooms = try database.scalarInt64(
                    "SELECT rooms FROM live_room_crawls WHERE monitor = ? ORDER BY observed_at DESC LIMIT 1", [name]
                ).map { Int($0) }
            case MetaStudioMonitorConfiguration.vendor:
                // The listing of the last successful poll; an empty listing stores no row, so rows of an
                // older listing are not taken for it.
                if let lastSuccess {
                    stored.platforms = try database.query(
                        """
                        SELECT platform_id, authorize_state, expire_time FROM platform_authorizations
                        WHERE monitor = ? AND observed_at = ?
                        """, [name, lastSuccess]
                    ).map { row in
                        MetricsSnapshot.Platform(
                            platformID: row.string("platform_id") ?? "",
                            authorized: row.string("authorize_state") == "AUTHORIZED",
                            expiresAt: row.int64("expire_time").map { Date(timeIntervalSince1970: Double($0)) })
                    }
                }
            case VolcengineMonitorConfiguration.vendor:
                if let lastSuccess {
                    stored.links = try database.query(
                        """
                        SELECT activity_id, user_name, expire_time FROM live_client_links
                        WHERE monitor = ? AND observed_at = ? AND expire_time IS NOT NULL
                        """, [name, lastSuccess]
                    ).compactMap { row in
                        guard let activity = row.string("activity_id").flatMap({ Int64($0) }),
                            let expiry = row.int64("expire_time")
                        else { return nil }
                        return MetricsSnapshot.Link(
                            subject: LiveClientLink.subject(activityID: activity, userName: row.string("user_name")),
                            expiresAt: Date(timeIntervalSince1970: Double(expiry)))
                    }
                }
            default:
                break
            }
            snapshot.monitors[name] = stored
        }
        snapshot.firing = try firing(in: database)
        snapshot.queued = try queued(in: database)
        return snapshot
    }

    /// Open alert episodes by rule and severity.
    public static func firing(in database: Database) throws -> [FiringAlerts] {
        try database.query(
            "SELECT rule, severity, count(*) AS n FROM alerts WHERE state = 'firing' GROUP BY rule, severity"
        ).map { row in
            FiringAlerts(
                rule: row.string("rule") ?? "", severity: row.string("severity") ?? "",
                count: Int(row.int64("n") ?? 0))
        }
    }

    /// Notifications waiting, by notifier.
    public static func queued(in database: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try database.query("SELECT notifier, count(*) AS n FROM notification_outbox GROUP BY notifier") {
            counts[row.string("notifier") ?? "", default: 0] += Int(row.int64("n") ?? 0)
        }
        return counts
    }
}

extension NotificationOutboxStore {
    /// The notifications waiting, by notifier (a short read on the store's queue, for the sender's metrics).
    public func queued() async throws -> [String: Int] {
        try await store.access { try MetricsQueries.queued(in: $0) }
    }
}
