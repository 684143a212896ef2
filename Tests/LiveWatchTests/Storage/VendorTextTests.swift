import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// Text a vendor sends is stored and read back byte for byte, an embedded NUL included, so what was
/// stored compares equal to what the vendor sends next time: no change notice on every poll.
@Suite struct VendorTextTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A value for `field` with a NUL inside and non-ASCII after it: a C-string read would stop at the NUL.
    static func text(_ field: String) -> String { "\(field)\u{0}尾-é" }

    static func report(
        monitor: String, vendor: String, at date: Date = now, outcome: PollOutcome, requestID: String? = nil
    ) -> PollReport {
        PollReport(
            monitor: monitor, vendor: vendor, startedAt: date, finishedAt: date, requests: 1, httpStatus: 200,
            requestID: requestID, outcome: outcome)
    }

    /// Every TEXT column a vendor's data fills, stored through the real writers and read back.
    @Test func everyTextColumnAVendorFillsReadsBackExactly() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let t = Self.text
        try store.writeSynchronously { database in
            // A failed poll: the vendor's error code and message and its request id.
            try ObservationWriter.insertPoll(
                Self.report(
                    monitor: "tim", vendor: "tencent_chat",
                    outcome: .failed(PollFailure(kind: .vendor, code: t("error_code"), message: t("error_message"))),
                    requestID: t("request_id")),
                in: database)
            try ObservationWriter.insertObservation(
                .mrConcurrency(MRConcurrency(total: 5, used: 1, residual: 4, channelIDs: [t("channel_id")])),
                monitor: "polyv", at: Self.now, in: database)
            try ObservationWriter.insertObservation(
                .liveRooms(
                    LiveRoomList(
                        rooms: [
                            LiveRoom(
                                roomID: t("room_id"), roomName: t("room_name"), ownerAccount: t("owner_account"),
                                coverURL: t("cover_url"), categories: t("categories"), createTime: 1, activityStatus: 1,
                                viewCount: 2)
                        ], pages: 1)),
                monitor: "tim", at: Self.now, in: database)
            try ObservationWriter.insertObservation(
                .livePlatforms(
                    LivePlatformListing(platforms: [
                        LivePlatform(
                            platformID: t("platform_id"), name: t("platform_name"), accessType: t("access_type"),
                            authorizeState: t("authorize_state"), account: t("account"),
                            authKeyFingerprint: t("auth_key_fingerprint"),
                            callbacks: [PlatformCallback(apiType: t("api_type"), url: t("url"))])
                    ])),
                monitor: "ms", at: Self.now, in: database)
            try ObservationWriter.insertPoll(
                Self.report(
                    monitor: "volc", vendor: "volcengine",
                    outcome: .observed(
                        .volcengine(
                            VolcengineObservation(
                                restrictions: nil, links: nil)))),
                in: database)
            try ObservationWriter.insertObservation(
                .volcengine(
                    VolcengineObservation(
                        restrictions: [
                            ActivityViewingRestrictions(
                                activityID: 7, mainButtonTitle: t("main_button_title"),
                                subButtonTitle: t("sub_button_title"),
                                entries: [
                                    ViewingRestriction(
                                        type: 1, customApp: t("custom_app"), customURL: t("custom_url"),
                                        errorRedirectURL: t("error_redirect_url"),
                                        secretFingerprint: t("secret_fingerprint"))
                                ])
                        ],
                        links: [
                            LiveClientLink(
                                activityID: 7, loginType: 1, userName: t("user_name"), expireTime: nil,
                                urlFingerprint: t("url_fingerprint"), temporaryURLFingerprint: t("tmp_url_fingerprint"))
                        ])),
                monitor: "volc", at: Self.now, in: database)
        }
        let columns: [(table: String, column: String, expected: String)] = [
            ("polls", "error_code", t("error_code")), ("polls", "error_message", t("error_message")),
            ("polls", "request_id", t("request_id")),
            ("mr_channels", "channel_id", t("channel_id")),
            ("live_rooms", "room_id", t("room_id")), ("live_rooms", "room_name", t("room_name")),
            ("live_rooms", "owner_account", t("owner_account")), ("live_rooms", "cover_url", t("cover_url")),
            ("live_rooms", "categories", t("categories")), ("live_room_samples", "room_id", t("room_id")),
            ("platform_authorizations", "platform_id", t("platform_id")),
            ("platform_authorizations", "platform_name", t("platform_name")),
            ("platform_authorizations", "access_type", t("access_type")),
            ("platform_authorizations", "authorize_state", t("authorize_state")),
            ("platform_authorizations", "account", t("account")),
            ("platform_authorizations", "auth_key_fingerprint", t("auth_key_fingerprint")),
            (
                "platform_authorizations", "callback_urls",
                ObservationWriter.callbackJSON([PlatformCallback(apiType: t("api_type"), url: t("url"))])
            ),
            ("viewing_restrictions", "custom_app", t("custom_app")),
            ("viewing_restrictions", "custom_url", t("custom_url")),
            ("viewing_restrictions", "error_redirect_url", t("error_redirect_url")),
            ("viewing_restrictions", "secret_fingerprint", t("secret_fingerprint")),
            ("viewing_restrictions", "main_button_title", t("main_button_title")),
            ("viewing_restrictions", "sub_button_title", t("sub_button_title")),
            ("live_client_links", "user_name", t("user_name")),
            ("live_client_links", "url_fingerprint", t("url_fingerprint")),
            ("live_client_links", "tmp_url_fingerprint", t("tmp_url_fingerprint")),
        ]
        try store.accessSynchronously { database in
            for (table, column, expected) in columns {
                let values = try database.query("SELECT \(column) AS v FROM \(table) WHERE \(column) IS NOT NULL").map {
                    $0["v"]
                }
                #expect(values == [.text(expected)], "\(table).\(column)")
            }
            // And through the reader the MetaStudio evaluator compares with.
            let stored = try ObservationReader.latestPlatforms(monitor: "ms", in: database)?.platforms
                .first { $0.platformID == t("platform_id") }
            #expect(stored?.name == t("platform_name"))
            #expect(stored?.callbacks == [PlatformCallback(apiType: t("api_type"), url: t("url"))])
        }
    }

    /// The same Volcengine restrictions twice, NULs in every vendor text: the second poll sees no change.
    @Test func aVolcengineRestrictionWithANULIsNoChangeTheSecondTime() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let evaluator = VolcengineEvaluator(monitor: "volc", linkExpiryWarning: 7_200)
        let book = AlertBook(repeatInterval: 3_600)
        let t = Self.text
        let observation = VolcengineObservation(
            restrictions: [
                ActivityViewingRestrictions(
                    activityID: 7, mainButtonTitle: t("Log in"), subButtonTitle: t("Guest"),
                    entries: [
                        ViewingRestriction(
                            type: 1, customApp: "app\u{0}x", customURL: t("https://login.example.com"),
                            errorRedirectURL: t("https://error.example.com"),
                            secretFingerprint: "sha256:0123456789abcdef"),
                        ViewingRestriction(
                            type: 2, customApp: t("second"), customURL: nil, errorRedirectURL: nil,
                            secretFingerprint: nil),
                    ])
            ],
            links: [
                LiveClientLink(
                    activityID: 7, loginType: 1, userName: t("嘉宾"), expireTime: 1_900_000_000,
                    urlFingerprint: "sha256:1111111111111111", temporaryURLFingerprint: "sha256:2222222222222222")
            ])
        for poll in 0..<3 {
            let report = Self.report(
                monitor: "volc", vendor: "volcengine", at: Self.now.addingTimeInterval(Double(poll) * 60),
                outcome: .observed(.volcengine(observation)))
            let lines = try store.writeSynchronously { database in
                try PollRecorder.recordInTransaction(
                    report, evaluator: evaluator, book: book, failureThreshold: 3, in: database)
            }
            #expect(lines.isEmpty, "poll \(poll): \(lines.map(\.message))")
        }
        // A real change is still seen.
        var changed = observation
        changed.restrictions?[0].entries[0].customApp = "app\u{0}y"
        let report = Self.report(
            monitor: "volc", vendor: "volcengine", at: Self.now.addingTimeInterval(600),
            outcome: .observed(.volcengine(changed)))
        let lines = try store.writeSynchronously { database in
            try PollRecorder.recordInTransaction(
                report, evaluator: evaluator, book: book, failureThreshold: 3, in: database)
        }
        #expect(
            lines.map(\.message) == [
                "Volcengine activity 7 viewing restrictions changed: main restriction (type 1): CustomApp changed"
            ])
    }

    /// A MetaStudio platform whose id holds a NUL fires, and resolves when it leaves the listing: the
    /// open alert's subject read back is the platform's id, not its part before the NUL.
    @Test func aMetaStudioPlatformWithANULInItsIDResolvesWhenItLeaves() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let evaluator = MetaStudioEvaluator(monitor: "ms", expiryWarning: 7 * 86_400, expiryCritical: 86_400)
        let book = AlertBook(repeatInterval: 3_600)
        let platform = LivePlatform(
            platformID: "p\u{0}1", name: "Shop\u{0}", authorizeState: "AUTHORIZED",
            expireTime: .parsed(Self.now.addingTimeInterval(12 * 3_600)))
        func poll(_ platforms: [LivePlatform], at offset: Double) throws -> [AlertLine] {
            let report = Self.report(
                monitor: "ms", vendor: "metastudio", at: Self.now.addingTimeInterval(offset),
                outcome: .observed(.livePlatforms(LivePlatformListing(platforms: platforms))))
            return try store.writeSynchronously { database in
                try PollRecorder.recordInTransaction(
                    report, evaluator: evaluator, book: book, failureThreshold: 3, in: database)
            }
        }
        #expect(try poll([platform], at: 0).map { "\($0.state) \($0.subject)" } == ["firing p\u{0}1"])
        #expect(try poll([platform], at: 60).isEmpty)
        let resolved = try poll([], at: 120)
        #expect(resolved.map { "\($0.state) \($0.subject)" } == ["resolved p\u{0}1"])
        #expect(
            try store.accessSynchronously { try $0.scalarInt64("SELECT count(*) FROM alerts WHERE state = 'firing'") }
                == 0)
    }
}
