import Foundation
import SQLite
import Testing

@testable import LiveWatch

@Suite struct RollupTests {
    @Test func rollupsAreExactCountsSumsAndExtremes() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("r.db"))
        defer { store.close() }
        let hour = Date(timeIntervalSince1970: 1_800_003_600)
        try store.writeSynchronously { database in
            for (offset, used) in [(0.0, 1), (600, 4), (1_200, 2), (3_600, 5)] {
                try ObservationWriter.insertObservation(
                    .mrConcurrency(MRConcurrency(total: 5, used: used, residual: 5 - used, channelIDs: [])),
                    monitor: "p", at: hour.addingTimeInterval(offset), in: database)
            }
        }
        let rows = try store.accessSynchronously { database in
            try database.query("SELECT * FROM mr_concurrency_hourly ORDER BY bucket_start")
        }
        #expect(rows.count == 2)
        #expect(rows[0].int64("samples") == 3)
        #expect(rows[0].int64("used_max") == 4 && rows[0].int64("used_min") == 1)
        #expect(rows[0].double("used_avg") == 7.0 / 3)
        #expect(rows[0].int64("residual_min") == 1)
        #expect(rows[1].int64("samples") == 1 && rows[1].int64("residual_min") == 0)
        let day = try store.accessSynchronously { try $0.first("SELECT * FROM mr_concurrency_daily") }
        #expect(day?.int64("samples") == 4)
        #expect(day?.double("residual_avg") == 8.0 / 4)
    }
}

@Suite struct RetentionTests {
    @Test func prunesOldRowsInBatchesKeepsNewOnesAndGivesSpaceBack() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("r.db"))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let nowSeconds = Int64(now.timeIntervalSince1970)
        try store.writeSynchronously { database in
            for day in (0..<30).reversed() { // oldest first, as time goes
                for sample in 0..<200 {
                    let at = now.addingTimeInterval(-Double(day) * 86_400 - Double(sample))
                    try ObservationWriter.insertObservation(
                        .mrConcurrency(
                            MRConcurrency(total: 5, used: 1, residual: 4, channelIDs: ["a-long-channel-id-\(sample)"])),
                        monitor: "p", at: at, in: database)
                }
                try ObservationWriter.insertLiveRooms(
                    LiveRoomList(
                        rooms: [
                            LiveRoom(roomID: "r", activityStatus: 1, viewCount: 5), LiveRoom(roomID: "day-\(day)"),
                        ], pages: 1),
                    monitor: "t", at: now.addingTimeInterval(-Double(day) * 86_400), in: database)
                try database.run(
                    """
                    INSERT INTO polls (monitor, vendor, started_at, finished_at, ok, requests, items) VALUES ('p', 'polyv', ?, ?, 1, 1, 1)
                    """, [nowSeconds - Int64(day) * 86_400, nowSeconds - Int64(day) * 86_400])
            }
        }
        let pagesBefore = try store.accessSynchronously { try $0.scalarInt64("PRAGMA page_count") ?? 0 }
        let policy = RetentionPolicy(
            observations: 7 * 86_400, polls: 20 * 86_400, alerts: 86_400, rollups: 365 * 86_400)
        let summary = try await Retention(policy: policy, batchSize: 500).prune(store: store, now: now)
        #expect(summary.deletedRows["mr_concurrency"] == 22 * 200 + 199)
        #expect(try store.accessSynchronously { try $0.scalarInt64("PRAGMA auto_vacuum") } == 2)
        #expect(summary.batches > 10)
        let remaining = try store.accessSynchronously { database in
            (
                try database.scalarInt64("SELECT min(observed_at) FROM mr_concurrency") ?? 0,
                try database.scalarInt64("SELECT count(*) FROM mr_channels") ?? 0,
                try database.scalarInt64("SELECT count(*) FROM live_room_samples") ?? 0,
                try database.scalarInt64("SELECT count(*) FROM polls") ?? 0,
                try database.scalarInt64("SELECT count(*) FROM live_room_crawls") ?? 0,
                try database.scalarInt64("SELECT count(*) FROM live_rooms") ?? 0,
                try database.scalarInt64("SELECT count(*) FROM mr_concurrency_rollups WHERE period = 'day'") ?? 0
            )
        }
        #expect(remaining.0 >= nowSeconds - 7 * 86_400)
        #expect(remaining.1 == 8 * 200 - 199)
        #expect(remaining.2 == 16)
        #expect(remaining.3 == 21)
        #expect(remaining.4 == 8)
        // Rooms not seen within the retention are gone; "r" and the last 8 days' rooms stay.
        #expect(remaining.5 == 9)
        // Rollups outlive the raw samples.
        #expect(remaining.6 >= 30)
        #expect(summary.pagesFreed > 0)
        let pagesAfter = try store.accessSynchronously { try $0.scalarInt64("PRAGMA page_count") ?? 0 }
        #expect(pagesAfter < pagesBefore)
        // The writer checkpoints on its own again (the prune turned that off while it ran) ...
        #expect(try store.accessSynchronously { try $0.scalarInt64("PRAGMA wal_autocheckpoint") } == 1_000)
        store.close()
    }

    /// The checkpoint the prune runs beside the writer copies the WAL into the database file from a second
    /// connection, while the writer connection stays free.
    @Test func aCheckpointBesideTheWriterCopiesTheWALIntoTheFile() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("c.db"))
        defer { store.close() }
        try store.accessSynchronously { try $0.execute("PRAGMA wal_autocheckpoint=0") }
        try store.writeSynchronously { database in
            for index in 0..<5_000 {
                try ObservationWriter.insertObservation(
                    .mrConcurrency(MRConcurrency(total: 5, used: 1, residual: 4, channelIDs: [])),
                    monitor: "p", at: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)), in: database)
            }
        }
        let size = {
            ((try? FileManager.default.attributesOfItem(atPath: folder.file("c.db"))[.size]) as? NSNumber)?.intValue
                ?? 0
        }
        let before = size()
        try await store.checkpointBeside()
        #expect(size() > before + 100_000, "\(before) -> \(size())")
    }

    @Test func deletesFromWithoutRowidTablesByPrimaryKey() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try Database(path: folder.file("w.db"))
        try Schema.migrator.migrate(database)
        let target = Retention.Target(
            table: "mr_concurrency_rollups", timeColumn: "bucket_start", extraCondition: "", keep: .rollups)
        let sql = try #require(try Retention.deleteStatement(for: target, batchSize: 10, in: database))
        #expect(sql.contains("(monitor, period, bucket_start) IN"))
        let rowid = Retention.Target(table: "polls", timeColumn: "started_at", extraCondition: "", keep: .polls)
        #expect(try Retention.deleteStatement(for: rowid, batchSize: 10, in: database)?.contains("rowid IN") == true)
    }
}
