import Foundation
import SQLite

/// The canned reports of `livewatch report`.
public enum ReportName: String, Sendable, CaseIterable {
    /// MR concurrency utilisation per hour or day, with peaks.
    case concurrency
    /// Top rooms by view-count growth.
    case rooms
    /// Live rooms over time, per hour or day.
    case roomsLive = "rooms-live"
    /// Platform authorizations by days to expiry.
    case authorizations
    /// Alert episodes and time firing per rule.
    case alerts
    /// Poll success rate and latency per monitor.
    case polls
}

/// What a report is asked for.
public struct ReportRequest: Sendable {
    /// Which report.
    public var name: ReportName
    /// Look back this many seconds.
    public var since: Double
    /// Only this monitor's rows, when given.
    public var monitor: String?
    /// `hour` or `day` buckets, for the reports over time.
    public var byHour: Bool
    /// The end of the period.
    public var now: Date
    /// Rows at most, for the top-N reports.
    public var limit: Int

    /// A request; by default for every monitor, by day, up to now, 20 rows at most.
    public init(
        name: ReportName, since: Double, monitor: String? = nil, byHour: Bool = false, now: Date = Date(),
        limit: Int = 20
    ) {
        self.name = name
        self.since = since
        self.monitor = monitor
        self.byHour = byHour
        self.now = now
        self.limit = limit
    }
}

/// A report's result: named columns and rows of values.
public struct ReportTable: Sendable, Equatable {
    /// The report's title.
    public var title: String
    /// The column names.
    public var columns: [String]
    /// The rows, each value as SQLite returned it.
    public var rows: [[SQLiteValue]]
}

/// The canned reports of `livewatch report` (their SQL is `ReportQueries`').
public enum Reports {
    /// Runs `request` on a read-only connection to the database at `databasePath`.
    public static func run(_ request: ReportRequest, databasePath: String) throws -> ReportTable {
        try ReportQueries.run(request, databasePath: databasePath)
    }

    /// Runs `request` on `database` (a read-only connection is enough).
    public static func run(_ request: ReportRequest, on database: Database) throws -> ReportTable {
        try ReportQueries.run(request, on: database)
    }
}
