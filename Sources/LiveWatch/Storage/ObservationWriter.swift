import Foundation
import SQLite

/// Writes poll reports and observations with prepared, cached statements.
/// Call inside a write transaction.
public enum ObservationWriter {
    /// The `polls` insert; public so the history benchmark's C baseline runs the very same SQL.
    public static let insertPollSQL: StaticString = """
        INSERT INTO polls (monitor, vendor, started_at, finished_at, ok, http_status, error_code, error_message,
                           request_id, requests, items, duration_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Inserts the `polls` row; returns its id.
    @discardableResult
    public static func insertPoll(_ report: PollReport, in database: Database) throws -> Int64 {
        let failure = report.failure
        try database.statement(insertPollSQL).execute(
            report.monitor, report.vendor, unixSeconds(report.startedAt), unixSeconds(report.finishedAt),
            report.succeeded, report.httpStatus, failure?.code, failure?.message, report.requestID,
            report.requests, report.items,
            Int64((report.finishedAt.timeIntervalSince(report.startedAt) * 1_000).rounded()))
        return database.lastInsertedRowID
    }

    /// Counts a poll's outcome in `monitor_state`; returns the consecutive failures now.
    public static func updateMonitorState(_ report: PollReport, in database: Database) throws -> Int {
        let now = unixSeconds(report.finishedAt)
        if report.succeeded {
            try database.statement(
                """
                INSERT INTO monitor_state (monitor, consecutive_failures, last_poll_at, last_success_at) VALUES (?, 0, ?, ?)
                ON CONFLICT (monitor) DO UPDATE SET consecutive_failures = 0, last_poll_at = excluded.last_poll_at,
                    last_success_at = excluded.last_success_at
                """
            ).execute(report.monitor, now, now)
            return 0
        }
        let failures = try database.statement(
            """
            INSERT INTO monitor_state (monitor, consecutive_failures, last_poll_at) VALUES (?, 1, ?)
            ON CONFLICT (monitor) DO UPDATE SET consecutive_failures = consecutive_failures + 1,
                last_poll_at = excluded.last_poll_at
            RETURNING consecutive_failures
            """
        ).scalarInt64(report.monitor, now)
        return Int(failures ?? 1)
    }

    /// Stores a successful poll's observation. `pollID` is the poll's `polls` row (what `insertPoll` returned),
    /// which Volcengine rows refer to; without it, the monitor's latest `polls` row is looked up.
    public static func insertObservation(
        _ observation: Observation, monitor: String, at date: Date, pollID: Int64? = nil, in database: Database
    ) throws {
        let observedAt = unixSeconds(date)
        switch observation {
        case .mrConcurrency(let concurrency):
            try database.statement(
                "INSERT INTO mr_concurrency (monitor, observed_at, total, used, residual) VALUES (?, ?, ?, ?, ?)"
            ).execute(monitor, observedAt, concurrency.total, concurrency.used, concurrency.residual)
            try RollupWriter.addConcurrency(
                monitor: monitor, at: observedAt, total: concurrency.total, used: concurrency.used,
                residual: concurrency.residual, in: database)
            let channel = try database.statement(
                "INSERT INTO mr_channels (monitor, observed_at, channel_id) VALUES (?, ?, ?)")
            for channelID in concurrency.channelIDs {
                try channel.execute(monitor, observedAt, channelID)
            }
        case .liveRooms(let list):
            try insertLiveRooms(list, monitor: monitor, at: date, in: database)

        case .volcengine(let volcengine):
            try insertVolcengine(volcengine, monitor: monitor, observedAt: observedAt, pollID: pollID, in: database)

        case .livePlatforms(let listing):
            try insertPlatformAuthorizations(listing, monitor: monitor, observedAt: observedAt, in: database)
        }
    }

    /// Whole seconds since 1970, rounded down.
    public static func unixSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }
}
