import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// Room list storage on a real SQLite file: latest state, one sample per room per crawl, the compact layout.
@Suite struct TencentChatStorageTests {
    func rows(_ store: Store, _ sql: String) throws -> [[SQLiteValue]] {
        try store.accessSynchronously { try $0.query(sql).map(\.values) }
    }

    @Test func keepsTheLatestStateOfEachRoomAndOneSamplePerRoomPerCrawl() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let first = LiveRoomList(
            rooms: [
                LiveRoom(
                    roomID: "a", roomName: "直播间 A", ownerAccount: "bren", coverURL: "https://c/a.jpg",
                    categories: "[1,2,3]",
                    createTime: 1_693_271_354, activityStatus: 1, viewCount: 1_000),
                LiveRoom(roomID: "b", viewCount: 900),
            ], pages: 1)
        let second = LiveRoomList(
            rooms: [
                LiveRoom(roomID: "c", activityStatus: 0, viewCount: 5),
                LiveRoom(
                    roomID: "a", roomName: "直播间 A2", ownerAccount: "bren", coverURL: nil, categories: "[]",
                    createTime: 1_693_271_354, activityStatus: 0, viewCount: 1_250),
            ], pages: 1)
        try store.writeSynchronously { database in
            try ObservationWriter.insertObservation(
                .liveRooms(first), monitor: "tim", at: Date(timeIntervalSince1970: 1_800_000_000), in: database)
            try ObservationWriter.insertObservation(
                .liveRooms(second), monitor: "tim", at: Date(timeIntervalSince1970: 1_800_000_060), in: database)
            // Another monitor's room of the same id is another room.
            try ObservationWriter.insertObservation(
                .liveRooms(LiveRoomList(rooms: [LiveRoom(roomID: "a", viewCount: 1)], pages: 1)), monitor: "tim-2",
                at: Date(timeIntervalSince1970: 1_800_000_060), in: database)
        }
        let rooms = try rows(
            store,
            """
            SELECT monitor, room_id, room_name, owner_account, cover_url, categories, create_time, activity_status, view_count,
                   first_seen, last_seen FROM live_rooms ORDER BY monitor, room_id
            """)
        #expect(
            rooms == [
                [
                    .text("tim"), .text("a"), .text("直播间 A2"), .text("bren"), .null, .text("[]"),
                    .integer(1_693_271_354), .integer(0),
                    .integer(1_250), .integer(1_800_000_000), .integer(1_800_000_060),
                ],
                // b is no longer listed: kept, its last_seen stops moving.
                [
                    .text("tim"), .text("b"), .null, .null, .null, .null, .null, .null, .integer(900),
                    .integer(1_800_000_000), .integer(1_800_000_000),
                ],
                [
                    .text("tim"), .text("c"), .null, .null, .null, .null, .null, .integer(0), .integer(5),
                    .integer(1_800_000_060), .integer(1_800_000_060),
                ],
                [
                    .text("tim-2"), .text("a"), .null, .null, .null, .null, .null, .null, .integer(1),
                    .integer(1_800_000_060), .integer(1_800_000_060),
                ],
            ])
        let samples = try rows(store, "SELECT * FROM live_room_samples ORDER BY monitor, observed_at, room_id")
        #expect(
            samples == [
                [.text("tim"), .integer(1_800_000_000), .text("a"), .integer(1), .integer(1_000)],
                [.text("tim"), .integer(1_800_000_000), .text("b"), .null, .integer(900)],
                [.text("tim"), .integer(1_800_000_060), .text("a"), .integer(0), .integer(1_250)],
                [.text("tim"), .integer(1_800_000_060), .text("c"), .integer(0), .integer(5)],
                [.text("tim-2"), .integer(1_800_000_060), .text("a"), .null, .integer(1)],
            ])
        let columns = try store.accessSynchronously { try $0.prepare("SELECT * FROM live_room_samples").columnNames }
        #expect(columns == ["monitor", "observed_at", "room_id", "activity_status", "view_count"])
        #expect(
            try rows(store, "SELECT monitor, observed_at, rooms FROM live_room_crawls ORDER BY crawl") == [
                [.text("tim"), .integer(1_800_000_000), .integer(2)],
                [.text("tim"), .integer(1_800_000_060), .integer(2)],
                [.text("tim-2"), .integer(1_800_000_060), .integer(1)],
            ])
    }

    /// A room listed twice in one crawl is one room: its later values win in `live_rooms` and in the crawl's
    /// one sample; a room first seen later gets a new key and keeps it; the rollup counts every listed room.
    @Test func aRoomListedTwiceInOneCrawlIsStoredOnceWithItsLaterValues() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try store.writeSynchronously { database in
            try ObservationWriter.insertObservation(
                .liveRooms(
                    LiveRoomList(
                        rooms: [
                            LiveRoom(roomID: "x", roomName: "first", activityStatus: 1, viewCount: 10),
                            LiveRoom(roomID: "y", activityStatus: 0, viewCount: -4),
                            LiveRoom(roomID: "x", roomName: "second", activityStatus: 0, viewCount: 7),
                        ], pages: 2)),
                monitor: "tim", at: at, in: database)
            try ObservationWriter.insertObservation(
                .liveRooms(
                    LiveRoomList(
                        rooms: [LiveRoom(roomID: "z", viewCount: 1), LiveRoom(roomID: "y", viewCount: 2)], pages: 1)),
                monitor: "tim", at: at.addingTimeInterval(60), in: database)
        }
        #expect(
            try rows(store, "SELECT room_key, room_id, room_name, view_count, first_seen, last_seen FROM live_rooms")
                == [
                    [
                        .integer(1), .text("x"), .text("second"), .integer(7), .integer(1_800_000_000),
                        .integer(1_800_000_000),
                    ],
                    [.integer(2), .text("y"), .null, .integer(2), .integer(1_800_000_000), .integer(1_800_000_060)],
                    [.integer(3), .text("z"), .null, .integer(1), .integer(1_800_000_060), .integer(1_800_000_060)],
                ])
        #expect(
            try rows(store, "SELECT crawl, room_key, activity_status, view_count FROM live_room_sample_data") == [
                [.integer(1), .integer(1), .integer(0), .integer(7)],
                [.integer(1), .integer(2), .integer(0), .integer(-4)],
                [.integer(2), .integer(2), .null, .integer(2)],
                [.integer(2), .integer(3), .null, .integer(1)],
            ])
        #expect(
            try rows(
                store,
                """
                SELECT bucket_start, crawls, rooms_seen_sum, live_rooms_sum, view_count_max, view_count_sum
                FROM room_activity_rollups WHERE period = 'hour'
                """) == [
                    [
                        .integer(1_800_000_000 - 1_800_000_000 % 3_600), .integer(2), .integer(5), .integer(1),
                        .integer(10), .integer(16),
                    ]
                ])
    }

    /// Every listed room's view count is negative: the largest is still one of them, not zero.
    @Test func theRollupKeepsTheLargestViewCountWhenAllAreNegative() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        try store.writeSynchronously { database in
            try ObservationWriter.insertObservation(
                .liveRooms(
                    LiveRoomList(
                        rooms: [LiveRoom(roomID: "a", viewCount: -9), LiveRoom(roomID: "b", viewCount: -3)], pages: 1)),
                monitor: "tim", at: Date(timeIntervalSince1970: 1_800_000_000), in: database)
        }
        #expect(
            try rows(store, "SELECT view_count_max, view_count_sum FROM room_activity_rollups WHERE period = 'day'")
                == [
                    [.integer(-3), .integer(-12)]
                ])
    }

    @Test func theMigrationCarriesVersion1RoomsAndSamplesOver() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("old.db")
        do {
            let database = try Database(path: path)
            try Migrator(migrations: [Schema.migrator.migrations[0]]).migrate(database)
            try database.execute(
                """
                INSERT INTO live_rooms VALUES ('tim', 'r1', 'one', 'o', NULL, '[1]', 1693271354, 1, 10, 100, 200);
                INSERT INTO live_rooms VALUES ('tim', 'r2', 'two', NULL, NULL, NULL, NULL, 0, 20, 100, 100);
                INSERT INTO live_room_samples VALUES ('tim', 100, 'r1', 1, 8), ('tim', 100, 'r2', 0, 20), ('tim', 200, 'r1', 1, 10);
                INSERT INTO live_room_samples VALUES ('old', 50, 'gone', NULL, 3);
                """)
        }
        let store = try Store(path: path)
        defer { store.close() }
        #expect(try store.accessSynchronously { try $0.userVersion() } == Schema.migrator.latestVersion)
        #expect(
            try rows(store, "SELECT * FROM live_room_samples ORDER BY monitor, observed_at, room_id") == [
                [.text("old"), .integer(50), .text("gone"), .null, .integer(3)],
                [.text("tim"), .integer(100), .text("r1"), .integer(1), .integer(8)],
                [.text("tim"), .integer(100), .text("r2"), .integer(0), .integer(20)],
                [.text("tim"), .integer(200), .text("r1"), .integer(1), .integer(10)],
            ])
        #expect(
            try rows(
                store,
                """
                SELECT monitor, room_id, room_name, owner_account, cover_url, categories, create_time, activity_status, view_count,
                       first_seen, last_seen FROM live_rooms WHERE monitor = 'tim' ORDER BY room_id
                """) == [
                    [
                        .text("tim"), .text("r1"), .text("one"), .text("o"), .null, .text("[1]"),
                        .integer(1_693_271_354), .integer(1), .integer(10),
                        .integer(100), .integer(200),
                    ],
                    [
                        .text("tim"), .text("r2"), .text("two"), .null, .null, .null, .null, .integer(0), .integer(20),
                        .integer(100), .integer(100),
                    ],
                ])
        // A crawl after the migration lands next to the old ones.
        try store.writeSynchronously { database in
            try ObservationWriter.insertObservation(
                .liveRooms(LiveRoomList(rooms: [LiveRoom(roomID: "r2", activityStatus: 1, viewCount: 25)], pages: 1)),
                monitor: "tim", at: Date(timeIntervalSince1970: 300), in: database)
        }
        #expect(
            try rows(store, "SELECT room_id, view_count FROM live_room_samples WHERE observed_at = 300") == [
                [.text("r2"), .integer(25)]
            ])
        #expect(
            try rows(store, "SELECT first_seen, last_seen, view_count FROM live_rooms WHERE room_id = 'r2'") == [
                [.integer(100), .integer(300), .integer(25)]
            ])
    }
}
