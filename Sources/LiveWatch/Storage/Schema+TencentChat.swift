extension Schema {
    /// Tencent Chat room history in a compact layout (README, "Tencent Cloud Chat").
    ///
    /// A crawl of 10,000 rooms every few minutes writes millions of samples a
    /// day, so a sample must be small: `live_room_sample_data` holds one row per
    /// room per crawl as four integers, keyed (crawl, room_key) WITHOUT ROWID
    /// and written in key order, about 16 bytes a row. `live_room_crawls` gives
    /// each crawl its monitor and time, and `live_rooms` gets an integer
    /// `room_key`. `live_room_samples` becomes a view with exactly its
    /// INTERFACES columns. Rows of the v1 tables are carried over.
    static let tencentChatCompactSamples = """
        CREATE TABLE live_rooms_keyed (
            room_key INTEGER PRIMARY KEY,
            \(liveRoomColumns)
        );
        INSERT INTO live_rooms_keyed (monitor, room_id, room_name, owner_account, cover_url, categories, create_time,
                                      activity_status, view_count, first_seen, last_seen)
            SELECT monitor, room_id, room_name, owner_account, cover_url, categories, create_time, activity_status,
                   view_count, first_seen, last_seen
            FROM live_rooms ORDER BY monitor, room_id;
        DROP TABLE live_rooms;
        ALTER TABLE live_rooms_keyed RENAME TO live_rooms;
        CREATE UNIQUE INDEX live_rooms_by_monitor_room ON live_rooms (monitor, room_id);
        -- A sampled room missing from live_rooms (not written by livewatch, but possible) still gets a key.
        INSERT OR IGNORE INTO live_rooms (monitor, room_id, activity_status, view_count, first_seen, last_seen)
            SELECT monitor, room_id, NULL, NULL, min(observed_at), max(observed_at)
            FROM live_room_samples GROUP BY monitor, room_id;

        CREATE TABLE live_room_crawls (
            crawl INTEGER PRIMARY KEY,
            monitor TEXT NOT NULL,
            observed_at INTEGER NOT NULL,
            rooms INTEGER NOT NULL
        );
        CREATE INDEX live_room_crawls_by_monitor_time ON live_room_crawls (monitor, observed_at);
        INSERT INTO live_room_crawls (monitor, observed_at, rooms)
            SELECT monitor, observed_at, count(DISTINCT room_id) FROM live_room_samples
            GROUP BY monitor, observed_at ORDER BY observed_at, monitor;

        CREATE TABLE live_room_sample_data (
            crawl INTEGER NOT NULL,
            room_key INTEGER NOT NULL,
            activity_status INTEGER,
            view_count INTEGER,
            PRIMARY KEY (crawl, room_key)
        ) WITHOUT ROWID;
        INSERT OR REPLACE INTO live_room_sample_data (crawl, room_key, activity_status, view_count)
            SELECT c.crawl, r.room_key, s.activity_status, s.view_count
            FROM live_room_samples AS s
            JOIN live_room_crawls AS c ON c.monitor = s.monitor AND c.observed_at = s.observed_at
            JOIN live_rooms AS r ON r.monitor = s.monitor AND r.room_id = s.room_id
            ORDER BY c.crawl, r.room_key;
        DROP TABLE live_room_samples;

        CREATE VIEW live_room_samples (monitor, observed_at, room_id, activity_status, view_count) AS
            SELECT c.monitor, c.observed_at, r.room_id, d.activity_status, d.view_count
            FROM live_room_sample_data AS d
            JOIN live_room_crawls AS c ON c.crawl = d.crawl
            JOIN live_rooms AS r ON r.room_key = d.room_key;
        """
}
