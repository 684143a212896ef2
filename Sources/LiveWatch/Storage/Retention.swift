import Foundation
import SQLite

/// How long each kind of history is kept, in seconds.
public struct RetentionPolicy: Sendable, Equatable {
    /// Raw observations (samples, snapshots, channels).
    public var observations: Double
    /// The `polls` table.
    public var polls: Double
    /// Resolved alert episodes.
    public var alerts: Double
    /// Hourly and daily rollups.
    public var rollups: Double

    public init(observations: Double, polls: Double, alerts: Double, rollups: Double) {
        self.observations = observations
        self.polls = polls
        self.alerts = alerts
        self.rollups = rollups
    }

    func seconds(for kind: Retention.Kind) -> Double {
        switch kind {
        case .observations: return observations
        case .polls: return polls
        case .alerts: return alerts
        case .rollups: return rollups
        }
    }

    public init(_ settings: DaemonSettings) {
        self.init(
            observations: settings.retention, polls: settings.pollsRetention, alerts: settings.alertsRetention,
            rollups: settings.rollupRetention)
    }
}

/// Deletes history older than the policy, in small batches, each its own short
/// write transaction, so a poll waiting for the writer never waits for more
/// than one batch. Then gives space back (incremental vacuum), checkpoints the
/// WAL passively and lets SQLite refresh its statistics.
public struct Retention: Sendable {
    /// One table to prune: its name and the time column that ages it.
    struct Target: Sendable {
        let table: String
        let timeColumn: String
        let extraCondition: String
        let keep: Kind
        /// A hand-written batch delete (`?1` is the cutoff), for tables aged through another one.
        var customDelete: String? = nil
    }

    /// Which retention applies to a table.
    enum Kind: Sendable {
        case observations, polls, alerts, rollups
    }

    static let targets: [Target] = [
        Target(table: "mr_concurrency", timeColumn: "observed_at", extraCondition: "", keep: .observations),
        Target(table: "mr_channels", timeColumn: "observed_at", extraCondition: "", keep: .observations),
        // Room samples are aged by their crawl (Tencent's compact layout): samples first, then the crawls.
        Target(
            table: "live_room_sample_data", timeColumn: "crawl", extraCondition: "", keep: .observations,
            customDelete: """
                DELETE FROM live_room_sample_data WHERE (crawl, room_key) IN (
                    SELECT crawl, room_key FROM live_room_sample_data
                    WHERE crawl < (SELECT coalesce(min(crawl), (SELECT coalesce(max(crawl), 0) + 1 FROM live_room_crawls))
                                   FROM live_room_crawls WHERE observed_at >= ?1)
                    LIMIT \(batchLimit))
                """),
        Target(table: "live_room_crawls", timeColumn: "observed_at", extraCondition: "", keep: .observations),
        Target(table: "live_rooms", timeColumn: "last_seen", extraCondition: "", keep: .observations),
        Target(table: "platform_authorizations", timeColumn: "observed_at", extraCondition: "", keep: .observations),
        Target(table: "viewing_restrictions", timeColumn: "observed_at", extraCondition: "", keep: .observations),
        Target(table: "live_client_links", timeColumn: "observed_at", extraCondition: "", keep: .observations),
        Target(table: "polls", timeColumn: "started_at", extraCondition: "", keep: .polls),
        Target(table: "alerts", timeColumn: "resolved_at", extraCondition: "AND state = 'resolved'", keep: .alerts),
        Target(table: "mr_concurrency_rollups", timeColumn: "bucket_start", extraCondition: "", keep: .rollups),
        Target(table: "room_activity_rollups", timeColumn: "bucket_start", extraCondition: "", keep: .rollups),
    ]

    /// What one pruning pass did.
    public struct Summary: Sendable, Equatable {
        public var deletedRows: [String: Int] = [:]
        public var batches = 0
        public var pagesFreed = 0
        /// The longest single delete batch, in seconds: how long a poll could have waited.
        public var longestBatch: Double = 0
        /// The longest single step of giving space back (incremental vacuum, checkpoint, optimize), in seconds.
        public var longestReclaimStep: Double = 0

        public var totalDeleted: Int { deletedRows.values.reduce(0, +) }
    }

    public let policy: RetentionPolicy
    /// Rows deleted per transaction.
    public let batchSize: Int

    public init(policy: RetentionPolicy, batchSize: Int = 2_000) {
        self.policy = policy
        self.batchSize = batchSize
    }

    /// Prunes everything older than the policy as of `now`.
    ///
    /// While it runs, the writer connection does not checkpoint on its own
    /// (`wal_autocheckpoint=0`): a checkpoint copies the WAL into the file and
    /// syncs it, hundreds of milliseconds after a large delete, and a poll
    /// queued behind that commit would wait as long. Instead the store's
    /// second connection checkpoints passively beside the writer every few
    /// batches, which keeps the WAL small without holding the writer.
    public func prune(store: Store, now: Date) async throws -> Summary {
        var summary = Summary()
        try await store.access { database in try database.execute("PRAGMA wal_autocheckpoint=0") }
        do {
            try await deleteAndReclaim(store: store, now: now, into: &summary)
        } catch {
            try? await store.access { database in
                try database.execute("PRAGMA wal_autocheckpoint=\(Self.autoCheckpointPages)")
            }
            throw error
        }
        try await store.access { database in
            try database.execute("PRAGMA wal_autocheckpoint=\(Self.autoCheckpointPages)")
        }
        try await store.checkpointBeside()
        // A bounded ANALYZE: without analysis_limit, statistics of a table of tens of millions of rows take seconds.
        let started = Date()
        try await store.access { database in try database.execute("PRAGMA analysis_limit=400; PRAGMA optimize") }
        summary.longestReclaimStep = max(summary.longestReclaimStep, Date().timeIntervalSince(started))
        return summary
    }

    /// SQLite's default WAL auto-checkpoint threshold, restored after pruning.
    static let autoCheckpointPages = 1_000
    /// Writer turns (delete batches or vacuum steps) between checkpoints beside the writer.
    static let turnsPerCheckpoint = 8
    /// Pages given back per incremental-vacuum step (each moves up to this many pages: a few milliseconds).
    static let vacuumStep = 64

    private func deleteAndReclaim(store: Store, now: Date, into summary: inout Summary) async throws {
        let nowSeconds = Int64(now.timeIntervalSince1970)
        var turns = 0
        for target in Self.targets {
            let cutoff = nowSeconds - Seconds.whole(policy.seconds(for: target.keep))
            let statementText = try await store.access { database in
                try Self.deleteStatement(for: target, batchSize: self.batchSize, in: database)
            }
            guard let statementText else { continue }
            while true {
                let started = Date()
                let deleted = try await store.write { database in
                    try database.run(statementText, [cutoff])
                    return database.changes
                }
                summary.longestBatch = max(summary.longestBatch, Date().timeIntervalSince(started))
                summary.batches += 1
                summary.deletedRows[target.table, default: 0] += deleted
                turns += 1
                if turns % Self.turnsPerCheckpoint == 0 { try await store.checkpointBeside() }
                if deleted < batchSize { break }
                await Task.yield()
            }
        }
        // Give the freed pages back to the file system in small incremental-vacuum steps.
        while true {
            let started = Date()
            let step = try await store.access { database -> Int in
                let before = try database.scalarInt64("PRAGMA freelist_count") ?? 0
                guard before > 0 else { return 0 }
                try database.execute("PRAGMA incremental_vacuum(\(Self.vacuumStep))")
                let after = try database.scalarInt64("PRAGMA freelist_count") ?? 0
                return Int(before - after)
            }
            summary.longestReclaimStep = max(summary.longestReclaimStep, Date().timeIntervalSince(started))
            summary.pagesFreed += step
            if step == 0 { break }
            turns += 1
            if turns % Self.turnsPerCheckpoint == 0 { try await store.checkpointBeside() }
            await Task.yield()
        }
    }

    /// `DELETE` of at most `batchSize` old rows, by rowid or, for a `WITHOUT ROWID` table, by its primary key.
    /// Nil when the table does not exist (a relation may be a view).
    /// Rows per batch of the hand-written deletes.
    static let batchLimit = 2_000

    static func deleteStatement(for target: Target, batchSize: Int, in database: Database) throws -> String? {
        if let custom = target.customDelete {
            guard
                try database.first("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [target.table])
                    != nil
            else { return nil }
            return custom.replacingOccurrences(of: "LIMIT \(batchLimit)", with: "LIMIT \(batchSize)")
        }
        guard
            let row = try database.first(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [target.table]),
            let sql = row.string("sql")
        else { return nil }
        let select =
            "SELECT %@ FROM \(target.table) WHERE \(target.timeColumn) < ?1 \(target.extraCondition) LIMIT \(batchSize)"
        if !sql.uppercased().contains("WITHOUT ROWID") {
            return
                "DELETE FROM \(target.table) WHERE rowid IN (\(select.replacingOccurrences(of: "%@", with: "rowid")))"
        }
        let keys = try database.query("PRAGMA table_info(\(target.table))")
            .filter { ($0.int64("pk") ?? 0) > 0 }
            .sorted { ($0.int64("pk") ?? 0) < ($1.int64("pk") ?? 0) }
            .compactMap { $0.string("name") }
        guard !keys.isEmpty else { return nil }
        let columns = keys.joined(separator: ", ")
        return
            "DELETE FROM \(target.table) WHERE (\(columns)) IN (\(select.replacingOccurrences(of: "%@", with: columns)))"
    }
}
