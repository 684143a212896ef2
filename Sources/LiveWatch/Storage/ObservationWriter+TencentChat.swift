import Foundation
import SQLite

extension ObservationWriter {
    /// The key of a stored room (`?1` monitor, `?2` room id), through `live_rooms_by_monitor_room`.
    public static let selectRoomKey: StaticString = "SELECT room_key FROM live_rooms WHERE monitor = ? AND room_id = ?"

    /// The update of a stored room's latest state, by its key: every column but `monitor`, `room_id` and
    /// `first_seen` (`?1` ... `?8` as listed, `?9` the key).
    public static let updateLiveRoom: StaticString = """
        UPDATE live_rooms SET room_name = ?, owner_account = ?, cover_url = ?, categories = ?, create_time = ?,
                              activity_status = ?, view_count = ?, last_seen = ?
        WHERE room_key = ?
        """

    /// The insert of a room seen for the first time (its key is then the last inserted rowid).
    public static let insertLiveRoom: StaticString = """
        INSERT INTO live_rooms (monitor, room_id, room_name, owner_account, cover_url, categories, create_time,
                                activity_status, view_count, first_seen, last_seen)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The insert of one room sample of a crawl.
    public static let insertRoomSample =
        "INSERT OR REPLACE INTO live_room_sample_data (crawl, room_key, activity_status, view_count) VALUES (?, ?, ?, ?)"

    /// Stores one whole crawl (inside the poll's transaction): each room's latest
    /// state in `live_rooms` (`first_seen` kept, `last_seen` moved), the crawl in
    /// `live_room_crawls`, and one sample per room in `live_room_sample_data`,
    /// inserted in key order so its pages fill up.
    ///
    /// Each room is looked up by (monitor, room id), then updated by its key or inserted: the same rows as an
    /// `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, without the upsert's failed insert and the table
    /// `RETURNING` fills for every row (`livewatch-bench tencent-crawl` measures the difference). The writer's
    /// transaction holds the write lock, so nothing can come between the lookup and the write.
    public static func insertLiveRooms(_ list: LiveRoomList, monitor: String, at date: Date, in database: Database)
        throws
    {
        let observedAt = unixSeconds(date)
        try database.statement("INSERT INTO live_room_crawls (monitor, observed_at, rooms) VALUES (?, ?, ?)")
            .execute(monitor, observedAt, list.rooms.count)
        let crawl = database.lastInsertedRowID
        let select = try database.statement(selectRoomKey)
        let update = try database.statement(updateLiveRoom)
        let insert = try database.statement(insertLiveRoom)
        var samples: [(key: Int64, activityStatus: Int64?, viewCount: Int64?)] = []
        samples.reserveCapacity(list.rooms.count)
        var inKeyOrder = true
        var liveRooms = 0
        var viewCountMax: Int64?
        var viewCountSum: Int64 = 0
        for room in list.rooms {
            let key: Int64
            if let stored = try select.scalarInt64(monitor, room.roomID) {
                try update.execute(
                    room.roomName, room.ownerAccount, room.coverURL, room.categories, room.createTime,
                    room.activityStatus, room.viewCount, observedAt, stored)
                key = stored
            } else {
                try insert.execute(
                    monitor, room.roomID, room.roomName, room.ownerAccount, room.coverURL, room.categories,
                    room.createTime, room.activityStatus, room.viewCount, observedAt, observedAt)
                key = database.lastInsertedRowID
            }
            if let last = samples.last, last.key > key { inKeyOrder = false }
            samples.append((key, room.activityStatus, room.viewCount))
            if room.activityStatus == 1 { liveRooms += 1 }
            let views = room.viewCount ?? 0
            viewCountMax = max(viewCountMax ?? views, views)
            viewCountSum &+= views
        }
        if !inKeyOrder { samples.sort { $0.key < $1.key } }
        let insertSample = try database.cachedStatement(insertRoomSample)
        for sample in samples {
            try insertSample.execute(crawl, sample.key, sample.activityStatus, sample.viewCount)
        }
        try RollupWriter.addRoomCrawl(
            monitor: monitor, at: observedAt, roomsSeen: list.rooms.count, liveRooms: liveRooms,
            viewCountMax: viewCountMax ?? 0, viewCountSum: viewCountSum, in: database)
    }
}
