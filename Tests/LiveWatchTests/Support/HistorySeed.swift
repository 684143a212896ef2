import Foundation
import SQLite

@testable import LiveWatch

/// Seeds a database with a little of every relation, relative to `now`.
enum HistorySeed {
    static func seed(_ store: Store, now: Date) throws {
        let nowSeconds = Int64(now.timeIntervalSince1970)
        try store.writeSynchronously { database in
            // Two days of Polyv samples every 10 minutes; concurrency runs out at one moment.
            for step in 0..<288 {
                let at = now.addingTimeInterval(-Double(step) * 600)
                let used = step == 5 ? 5 : (step % 5)
                try ObservationWriter.insertObservation(
                    .mrConcurrency(
                        MRConcurrency(
                            total: 5, used: used, residual: 5 - used, channelIDs: (0..<used).map { "ch\($0)" })),
                    monitor: "polyv-main", at: at, in: database)
            }
            // Rooms: three crawls, oldest first, through the real writer (samples and rollups).
            for crawl in (0..<3).reversed() {
                let at = now.addingTimeInterval(-Double(crawl) * 3_600)
                let rooms = (1...4).map { room in
                    LiveRoom(
                        roomID: "room-\(room)", roomName: "Room \(room)", ownerAccount: "owner\(room)",
                        coverURL: "https://cdn/\(room).png", categories: "[1,2]", createTime: nowSeconds - 86_400,
                        activityStatus: room == 4 ? 0 : 1, viewCount: Int64(room * 100 + (3 - crawl) * room * 10))
                }
                try ObservationWriter.insertLiveRooms(
                    LiveRoomList(rooms: rooms, pages: 1), monitor: "tim-sg", at: at, in: database)
            }
            for (index, days) in [3.0, 0.5, 30].enumerated() {
                try database.run(
                    """
                    INSERT INTO platform_authorizations (monitor, observed_at, platform_id, platform_name, access_type, authorize_state,
                                                         authorized_time, expire_time, account, auth_key_fingerprint)
                    VALUES (?, ?, ?, ?, 'MSS_STANDARD', ?, ?, ?, 'acct', 'sha256:0123456789abcdef')
                    """,
                    [
                        "metastudio-cn4", nowSeconds - 60, "p-\(index)", "Platform \(index)",
                        index == 2 ? "UNAUTHORIZED" : "AUTHORIZED",
                        nowSeconds - 86_400 * 300, nowSeconds + Int64(days * 86_400),
                    ])
            }
            for (offset, fingerprint) in [(7_200, "sha256:aaaaaaaaaaaaaaaa"), (60, "sha256:bbbbbbbbbbbbbbbb")] {
                try database.run(
                    """
                    INSERT INTO viewing_restrictions (monitor, observed_at, activity_id, restriction_type, custom_app, custom_url,
                                                      error_redirect_url, secret_fingerprint, main_button_title, sub_button_title)
                    VALUES ('volc-events', ?, '175980616', 1, 'app', 'https://login.example.com', NULL, ?, 'Log in', NULL)
                    """, [nowSeconds - Int64(offset), fingerprint])
            }
            try database.run(
                """
                INSERT INTO live_client_links (monitor, observed_at, activity_id, login_type, user_name, expire_time,
                                               url_fingerprint, tmp_url_fingerprint)
                VALUES ('volc-events', ?, '175980616', 0, NULL, ?, 'sha256:1111111111111111', 'sha256:2222222222222222')
                """, [nowSeconds - 60, nowSeconds + 3_600])
            for index in 0..<20 {
                try database.run(
                    """
                    INSERT INTO polls (monitor, vendor, started_at, finished_at, ok, http_status, error_code, error_message,
                                       request_id, requests, items, duration_ms)
                    VALUES ('polyv-main', 'polyv', ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                    """,
                    [
                        nowSeconds - Int64(index * 60), nowSeconds - Int64(index * 60) + 1, index % 10 == 0 ? 0 : 1,
                        index % 10 == 0 ? 500 : 200, index % 10 == 0 ? "http_500" : nil,
                        index % 10 == 0 ? "HTTP 500" : nil, "req-\(index)", index % 10 == 0 ? 0 : 1, 10 + index,
                    ])
            }
            try database.run(
                """
                INSERT INTO alerts (rule, monitor, subject, severity, state, started_at, resolved_at, last_value, message, last_written_at)
                VALUES ('mr_concurrency_exhausted', 'polyv-main', 'polyv-main', 'critical', 'resolved', ?, ?, 0, 'exhausted', ?),
                       ('platform_authorization_expiring', 'metastudio-cn4', 'p-1', 'critical', 'firing', ?, NULL, 0.5, 'expires soon', ?)
                """, [nowSeconds - 3_600, nowSeconds - 1_800, nowSeconds - 3_600, nowSeconds - 600, nowSeconds - 600])
        }
    }
}
