import Foundation
import SQLite

/// The `silences` table: silences added, listed and expired from the command line (`livewatch silence`),
/// and the active ones the daemon applies at each poll beside the configured ones.
public enum SilenceStore {
    /// What `expire` did.
    public enum ExpireOutcome: Sendable, Equatable {
        /// The silence was active (or yet to start) and is now expired.
        case expired(StoredSilence)
        /// It was already over (expired or ended) and is left as it was.
        case alreadyOver(StoredSilence)
        /// No silence has that id.
        case notFound
    }

    static let columns =
        "id, monitor, rule, subject, starts_at, ends_at, comment, created_by, created_at, expired_at"

    // MARK: On a connection (the daemon's, in its transaction; or the command's).

    /// Stores `request`, added at `now`; returns the stored silence with its id.
    public static func insert(_ request: SilenceRequest, at now: Date, in database: Database) throws -> StoredSilence {
        try database.run(
            """
            INSERT INTO silences (monitor, rule, subject, starts_at, ends_at, comment, created_by, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                request.monitor, request.rule?.rawValue, request.subject, unix(request.startsAt),
                unix(request.endsAt), request.comment, request.createdBy, unix(now),
            ])
        let id = database.lastInsertedRowID
        return StoredSilence(
            id: id, monitor: request.monitor, rule: request.rule?.rawValue, subject: request.subject,
            startsAt: request.startsAt, endsAt: request.endsAt, comment: request.comment,
            createdBy: request.createdBy, createdAt: Date(timeIntervalSince1970: Double(unix(now))),
            expiredAt: nil)
    }

    /// Ends the silence `id` at `now`, unless it is already over.
    public static func expire(id: Int64, at now: Date, in database: Database) throws -> ExpireOutcome {
        guard let row = try database.first("SELECT \(columns) FROM silences WHERE id = ?", [id]) else {
            return .notFound
        }
        var silence = stored(row)
        switch silence.state(at: now) {
        case .expired, .ended:
            return .alreadyOver(silence)
        case .active, .pending:
            let at = unix(now)
            try database.run("UPDATE silences SET expired_at = ? WHERE id = ?", [at, id])
            silence.expiredAt = Date(timeIntervalSince1970: Double(at))
            return .expired(silence)
        }
    }

    /// The silences that are not over at `now` (active or yet to start), or with `includingOver` every one,
    /// in id order.
    public static func list(includingOver: Bool, at now: Date, in database: Database) throws -> [StoredSilence] {
        let rows =
            try includingOver
            ? database.query("SELECT \(columns) FROM silences ORDER BY id")
            : database.query(
                "SELECT \(columns) FROM silences WHERE ends_at > ? AND (expired_at IS NULL OR expired_at > ?) ORDER BY id",
                [unix(now), unix(now)])
        return rows.map(stored)
    }

    /// The stored silences active at `date`, oldest first, as `Silence`s matched like configured ones. One range
    /// scan of `silences_by_end` (sorted here: an `ORDER BY id` would make SQLite scan the table in id order
    /// instead): only silences whose end is still ahead are read.
    public static func active(at date: Date, in database: Database) throws -> [Silence] {
        let seconds = unix(date)
        return try database.query(
            """
            SELECT \(columns) FROM silences
            WHERE ends_at > ? AND starts_at <= ? AND (expired_at IS NULL OR expired_at > ?)
            """, [seconds, seconds, seconds]
        ).map { stored($0) }.sorted { $0.id < $1.id }.map(\.silence)
    }

    /// True when the database has the `silences` table (schema version 8 or later).
    public static func exists(in database: Database) throws -> Bool {
        try database.scalarInt64("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'silences'")
            ?? 0 > 0
    }

    /// The monitors the database knows (`monitor_state`: every monitor that was polled), by name.
    public static func monitorNames(in database: Database) throws -> [String] {
        try database.query("SELECT monitor FROM monitor_state ORDER BY monitor").compactMap { $0.string("monitor") }
    }

    /// Unix seconds of `date`, whole.
    static func unix(_ date: Date) -> Int64 { Seconds.whole(date.timeIntervalSince1970) }

    static func stored(_ row: Row) -> StoredSilence {
        func date(_ column: String) -> Date { Date(timeIntervalSince1970: Double(row.int64(column) ?? 0)) }
        return StoredSilence(
            id: row.int64("id") ?? 0, monitor: row.string("monitor") ?? "", rule: row.string("rule"),
            subject: row.string("subject"), startsAt: date("starts_at"), endsAt: date("ends_at"),
            comment: row.string("comment") ?? "", createdBy: row.string("created_by") ?? "",
            createdAt: date("created_at"),
            expiredAt: row.int64("expired_at").map { Date(timeIntervalSince1970: Double($0)) })
    }

    // MARK: By path, for the command line (a connection of its own, safe while the daemon runs).

    /// Stores `request` in the database at `path` (migrating its schema first if it is older).
    public static func add(_ request: SilenceRequest, databasePath path: String, now: Date) throws -> StoredSilence {
        let database = try openForWriting(path)
        return try database.write { try insert(request, at: now, in: database) }
    }

    /// Expires silence `id` in the database at `path`.
    public static func expire(id: Int64, databasePath path: String, now: Date) throws -> ExpireOutcome {
        let database = try openForWriting(path)
        return try database.write { try expire(id: id, at: now, in: database) }
    }

    /// `list` on a read-only connection to the database at `path`; none in a database older than the table.
    public static func list(databasePath path: String, includingOver: Bool, now: Date) throws -> [StoredSilence] {
        let database = try openForReading(path)
        guard try exists(in: database) else { return [] }
        return try list(includingOver: includingOver, at: now, in: database)
    }

    /// `active` on a read-only connection to the database at `path` (for `livewatch alerts` and `check`);
    /// none in a database older than the table.
    public static func active(at date: Date, databasePath path: String) throws -> [Silence] {
        let database = try openForReading(path)
        guard try exists(in: database) else { return [] }
        return try active(at: date, in: database)
    }

    /// The monitors the database at `path` knows (see `monitorNames(in:)`).
    public static func monitorNames(databasePath path: String) throws -> [String] {
        try monitorNames(in: try openForReading(path))
    }

    static func openForReading(_ path: String) throws -> Database {
        guard FileManager.default.fileExists(atPath: path) else { throw missing(path) }
        return try Database(
            path: path, options: .init(readOnly: true, busyTimeoutMilliseconds: 2_000, journalModeWAL: false))
    }

    static func openForWriting(_ path: String) throws -> Database {
        // Never created here: the daemon creates the database (and its directory, and its mode) at its first start.
        guard FileManager.default.fileExists(atPath: path) else { throw missing(path) }
        let database = try Database(path: path, options: .init(busyTimeoutMilliseconds: 5_000))
        try Schema.migrator.migrate(database)
        return database
    }

    static func missing(_ path: String) -> SilenceStoreError {
        SilenceStoreError(message: "no database at \(path) (has the daemon run yet?)")
    }
}

extension Store {
    /// The stored silences active at `date` (see `SilenceStore.active(at:in:)`), read on the writer's queue.
    public func activeSilences(at date: Date) async throws -> [Silence] {
        try await access { database in try SilenceStore.active(at: date, in: database) }
    }
}

/// The command line cannot use the database for silences.
public struct SilenceStoreError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public let message: String
    /// The message.
    public var description: String { message }
}
