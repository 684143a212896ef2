import Foundation
import SQLite

extension ObservationWriter {
    /// The upsert of one room's latest state (`RETURNING room_key`); public, with `insertRoomSample`,
    /// so the history benchmark's C baseline runs the very same SQL.
    public static let upsertLiveRoom = """
        INSERT INTO live_rooms (monitor, room_id, room_name, owner_account, cover_url, categories, create_time,
                                activity_status, view_count, first_seen, last_seen)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (monitor, room_id) DO UPDATE SET
            room_name = excluded.room_name, owner_account = excluded.owner_account, cover_url = excluded.cover_url,
            categories = excluded.categories, create_time = excluded.create_time,
            activity_status = excluded.activity_status, view_count = excluded.view_count, last_seen = excluded.last_seen
        RETURNING room_key
        """

    /// The insert of one room sample of a crawl.
    public static let insertRoomSample =
        "INSERT OR REPLACE INTO live_room_sample_data (crawl, room_key, activity_status, view_count) VALUES (?, ?, ?, ?)"

    /// Stores one whole crawl (inside the poll's transaction): each room's latest
    /// state in `live_rooms` (`first_seen` kept, `last_seen` moved), the crawl in
    /// `live_room_crawls`, and one sample per room in `live_room_sample_data`,
    /// inserted in key order so its pages fill up.
    public static func insertLiveRooms(_ list: LiveRoomList, monitor: String, at date: Date, in database: Database)
        throws
    {
        let observedAt = unixSeconds(date)
        try database.run(
            "INSERT INTO live_room_crawls (monitor, observed_at, rooms) VALUES (?, ?, ?)",
            [monitor, observedAt, list.rooms.count])
        let crawl = database.lastInsertedRowID
        let upsert = try database.cachedStatement(upsertLiveRoom)
        var samples: [(key: Int64, activityStatus: Int64?, viewCount: Int64?)] = []
        samples.reserveCapacity(list.rooms.count)
        for room in list.rooms {
            let key = try upsert.scalarInt64(
                monitor, room.roomID, room.roomName, room.ownerAccount, room.coverURL, room.categories, room.createTime,
                room.activityStatus, room.viewCount, observedAt, observedAt)
            guard let key else {
                throw SQLiteError(
                    code: .error, message: "the live_rooms upsert returned no room_key", sql: upsertLiveRoom)
            }
            samples.append((key, room.activityStatus, room.viewCount))
        }
        samples.sort { $0.key < $1.key }
        let insertSample = try database.cachedStatement(insertRoomSample)
        for sample in samples {
            try insertSample.execute(crawl, sample.key, sample.activityStatus, sample.viewCount)
        }
        let views = list.rooms.map { $0.viewCount ?? 0 }
        try RollupWriter.addRoomCrawl(
            monitor: monitor, at: observedAt, roomsSeen: list.rooms.count,
            liveRooms: list.rooms.filter { $0.activityStatus == 1 }.count, viewCountMax: views.max() ?? 0,
            viewCountSum: views.reduce(0, &+), in: database)
    }
}
