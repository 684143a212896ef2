import SQLite

/// Keeps the hourly and daily rollups exact: each observation adds to its
/// buckets' counts, sums, minima and maxima in the same transaction.
public enum RollupWriter {
    /// The buckets a moment falls in: (period, bucket start), UTC.
    static func buckets(_ unixSeconds: Int64) -> KeyValuePairs<String, Int64> {
        ["hour": unixSeconds - unixSeconds % 3_600, "day": unixSeconds - unixSeconds % 86_400]
    }

    /// The upsert of one concurrency sample into a bucket (`?1` monitor, `?2` period, `?3` bucket start,
    /// `?4` residual, `?5` used, `?6` total); public so the benchmark's C baseline runs the very same SQL.
    public static let concurrencyUpsert: StaticString = """
        INSERT INTO mr_concurrency_rollups (monitor, period, bucket_start, samples, residual_min, residual_max, residual_sum,
                                            used_min, used_max, used_sum, total_max)
        VALUES (?1, ?2, ?3, 1, ?4, ?4, ?4, ?5, ?5, ?5, ?6)
        ON CONFLICT (monitor, period, bucket_start) DO UPDATE SET
            samples = samples + 1,
            residual_min = min(residual_min, excluded.residual_min),
            residual_max = max(residual_max, excluded.residual_max),
            residual_sum = residual_sum + excluded.residual_sum,
            used_min = min(used_min, excluded.used_min),
            used_max = max(used_max, excluded.used_max),
            used_sum = used_sum + excluded.used_sum,
            total_max = max(total_max, excluded.total_max)
        """

    /// Adds one MR concurrency sample.
    public static func addConcurrency(
        monitor: String, at unixSeconds: Int64, total: Int, used: Int, residual: Int, in database: Database
    ) throws {
        let upsert = try database.statement(concurrencyUpsert)
        for (period, start) in buckets(unixSeconds) {
            try upsert.execute(monitor, period, start, residual, used, total)
        }
    }

    /// The upsert of one complete crawl's totals into a bucket (`?1` monitor, `?2` period, `?3` bucket start,
    /// `?4` rooms seen, `?5` live rooms, `?6` largest view count, `?7` view count sum).
    public static let roomCrawlUpsert: StaticString = """
        INSERT INTO room_activity_rollups (monitor, period, bucket_start, crawls, rooms_seen_sum, rooms_seen_max,
                                           live_rooms_sum, live_rooms_max, view_count_max, view_count_sum)
        VALUES (?1, ?2, ?3, 1, ?4, ?4, ?5, ?5, ?6, ?7)
        ON CONFLICT (monitor, period, bucket_start) DO UPDATE SET
            crawls = crawls + 1,
            rooms_seen_sum = rooms_seen_sum + excluded.rooms_seen_sum,
            rooms_seen_max = max(rooms_seen_max, excluded.rooms_seen_max),
            live_rooms_sum = live_rooms_sum + excluded.live_rooms_sum,
            live_rooms_max = max(live_rooms_max, excluded.live_rooms_max),
            view_count_max = max(view_count_max, excluded.view_count_max),
            view_count_sum = view_count_sum + excluded.view_count_sum
        """

    /// Adds one complete room crawl's totals.
    public static func addRoomCrawl(
        monitor: String, at unixSeconds: Int64, roomsSeen: Int, liveRooms: Int, viewCountMax: Int64,
        viewCountSum: Int64,
        in database: Database
    ) throws {
        let upsert = try database.statement(roomCrawlUpsert)
        for (period, start) in buckets(unixSeconds) {
            try upsert.execute(monitor, period, start, roomsSeen, liveRooms, viewCountMax, viewCountSum)
        }
    }
}
