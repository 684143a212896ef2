import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// What the evaluators are handed as the previous observation, read back from a real SQLite file
/// after being stored by the real writers.
@Suite struct ObservationReaderTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Stores `observation` as a successful poll of `monitor` at `now + offset`, as the recorder does.
    static func store(_ observation: Observation, monitor: String, at offset: Double, in database: Database) throws {
        let at = now.addingTimeInterval(offset)
        try ObservationWriter.insertPoll(
            PollReport(
                monitor: monitor, vendor: "v", startedAt: at, finishedAt: at, requests: 1, httpStatus: 200,
                requestID: nil,
                outcome: .observed(observation)),
            in: database)
        try ObservationWriter.insertObservation(observation, monitor: monitor, at: at, in: database)
    }

    static func withStore(_ body: (Database) throws -> Void) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        try store.writeSynchronously { try body($0) }
    }

    @Test func theLatestMetaStudioListingReadsBackAsStored() throws {
        try Self.withStore { database in
            #expect(try ObservationReader.latestPlatforms(monitor: "ms", in: database) == nil)
            let callbacks = [
                PlatformCallback(apiType: "LIVE_EVENT_CALLBACK", url: "https://a.example.com/cb?token=1"),
                PlatformCallback(apiType: "PRODUCT_QUERY", url: "http://b.example.com/q"),
            ]
            let first = LivePlatform(
                platformID: "p-1", name: "Shop", accessType: "MSS_STANDARD", authorizeState: "AUTHORIZED",
                authorizedTime: .parsed(Self.now - 86_400), expireTime: .parsed(Self.now + 86_400), account: "acct",
                authKeyFingerprint: "sha256:0000000000000000", callbacks: callbacks)
            let second = LivePlatform(platformID: "p-2", expireTime: .unreadable)
            try Self.store(.livePlatforms(LivePlatformListing(platforms: [first])), monitor: "ms", at: 0, in: database)
            try Self.store(
                .livePlatforms(LivePlatformListing(platforms: [first, second])), monitor: "ms", at: 60, in: database)
            try Self.store(
                .livePlatforms(LivePlatformListing(platforms: [second])), monitor: "other", at: 120, in: database)

            // Decoded from the stored JSON, and taken from the current listing when the text is the same.
            let decoded = try ObservationReader.latestPlatforms(monitor: "ms", in: database)
            let shortcut = try ObservationReader.latestPlatforms(
                monitor: "ms", like: LivePlatformListing(platforms: [first]), in: database)
            // An unreadable time was stored as NULL: it reads back absent.
            var secondStored = second
            secondStored.expireTime = .absent
            #expect(decoded == LivePlatformListing(platforms: [first, secondStored]))
            #expect(shortcut == decoded)
            #expect(
                try ObservationReader.previous(
                    of: .mrConcurrency(MRConcurrency(total: 1, used: 0, residual: 1, channelIDs: [])),
                    monitor: "ms", in: database) == nil)
        }
    }

    /// Two polls in the same second share their `observed_at`: each platform is read once, as the later stored it.
    @Test func twoListingsInOneSecondReadAsTheLaterOne() throws {
        try Self.withStore { database in
            let first = LivePlatform(platformID: "p-1", name: "Before")
            let second = LivePlatform(platformID: "p-2")
            var renamed = first
            renamed.name = "After"
            try Self.store(
                .livePlatforms(LivePlatformListing(platforms: [first, second])), monitor: "ms", at: 0.2, in: database)
            try Self.store(
                .livePlatforms(LivePlatformListing(platforms: [second, renamed])), monitor: "ms", at: 0.7, in: database)
            #expect(
                try ObservationReader.latestPlatforms(monitor: "ms", in: database)
                    == LivePlatformListing(platforms: [second, renamed]))
        }
    }

    /// Moved from `MetaStudioEvaluatorTests`: a platform row of a version-1 database (no callbacks
    /// column then) reads back with unknown callbacks, and the evaluator says nothing about them.
    @Test func rowsWrittenBeforeTheCallbackColumnExistedGiveNoCallbackChangeNotice() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // A version-1 database with a platform row, upgraded by opening it.
        do {
            let database = try Database(path: folder.file("db"))
            try database.write {
                try database.execute(Schema.version1)
                try database.setUserVersion(1)
                try database.run(
                    "INSERT INTO platform_authorizations (monitor, observed_at, platform_id, auth_key_fingerprint) VALUES ('ms', 1, 'p-1', 'sha256:0000000000000000')"
                )
            }
        }
        let store = try Store(path: folder.file("db"))
        defer { store.close() }
        #expect(try store.accessSynchronously { try $0.userVersion() } == Schema.migrator.latestVersion)
        let evaluator = MetaStudioEvaluator(monitor: "ms", expiryWarning: 7 * 86_400, expiryCritical: 86_400)
        var platform = LivePlatform(
            platformID: "p-1", name: "Shop", authorizeState: "AUTHORIZED",
            expireTime: .parsed(Self.now.addingTimeInterval(30 * 86_400)))
        platform.authKeyFingerprint = "sha256:0000000000000000"
        platform.callbacks = [PlatformCallback(apiType: "LIVE_EVENT_CALLBACK", url: "https://a.example.com")]
        let observation = Observation.livePlatforms(LivePlatformListing(platforms: [platform]))
        let report = PollReport(
            monitor: "ms", vendor: "metastudio", startedAt: Self.now, finishedAt: Self.now, requests: 1,
            httpStatus: 200,
            requestID: nil, outcome: .observed(observation))
        let previous = try store.accessSynchronously {
            try ObservationReader.previous(of: observation, monitor: "ms", in: $0)
        }
        guard case .livePlatforms(let listing)? = previous else { throw RequireError(message: "no previous listing") }
        #expect(listing.platforms.map(\.callbacksKnown) == [false])
        let evaluation = evaluator.evaluate(report, previous: previous, openSubjects: [:])
        #expect(evaluation.notices.isEmpty)
        #expect(evaluation.conditions.count == 2)
    }

    static func restriction(_ app: String) -> ViewingRestriction {
        ViewingRestriction(
            type: 1, customApp: app, customURL: nil, errorRedirectURL: nil, secretFingerprint: "sha256:1")
    }

    static func link(_ activity: Int64, guest: String? = nil, fingerprint: String, expires: Int64? = nil)
        -> LiveClientLink
    {
        LiveClientLink(
            activityID: activity, loginType: guest == nil ? 0 : 1, userName: guest, expireTime: expires,
            urlFingerprint: fingerprint,
            temporaryURLFingerprint: expires.map { "sha256:t\($0)" })
    }

    /// Each activity's restrictions as its latest poll stored them, each link's latest row; what was
    /// never stored is left out, and lists the current observation does not watch are nil.
    @Test func theVolcenginePreviousIsTheLatestOfEachActivityAndLink() throws {
        try Self.withStore { database in
            let activity7 = ActivityViewingRestrictions(
                activityID: 7, mainButtonTitle: "M", subButtonTitle: nil, entries: [Self.restriction("a")])
            let activity8 = ActivityViewingRestrictions(
                activityID: 8, mainButtonTitle: nil, subButtonTitle: nil, entries: [])
            try Self.store(
                .volcengine(
                    VolcengineObservation(
                        restrictions: [activity7, activity8],
                        links: [
                            Self.link(7, fingerprint: "sha256:host1", expires: 1_900_000_000),
                            Self.link(7, guest: "G", fingerprint: "sha256:g1"),
                        ])),
                monitor: "volc", at: 0, in: database)
            var activity7Later = activity7
            activity7Later.entries = [Self.restriction("b")]
            try Self.store(
                .volcengine(
                    VolcengineObservation(
                        restrictions: [activity7Later],
                        links: [Self.link(7, fingerprint: "sha256:host2", expires: 1_900_000_600)])),
                monitor: "volc", at: 60, in: database)
            // Another monitor's rows are not this monitor's past.
            try Self.store(
                .volcengine(
                    VolcengineObservation(restrictions: [activity8], links: [Self.link(7, fingerprint: "sha256:other")])
                ),
                monitor: "volc-2", at: 120, in: database)

            let current = VolcengineObservation(
                restrictions: [
                    ActivityViewingRestrictions(activityID: 7, mainButtonTitle: nil, subButtonTitle: nil, entries: []),
                    ActivityViewingRestrictions(activityID: 8, mainButtonTitle: nil, subButtonTitle: nil, entries: []),
                    ActivityViewingRestrictions(activityID: 9, mainButtonTitle: nil, subButtonTitle: nil, entries: []),
                ],
                links: [
                    Self.link(7, fingerprint: "x"), Self.link(7, guest: "G", fingerprint: "x"),
                    Self.link(7, guest: "H", fingerprint: "x"),
                ])
            let previous = try ObservationReader.previous(of: .volcengine(current), monitor: "volc", in: database)
            #expect(
                previous
                    == .volcengine(
                        VolcengineObservation(
                            restrictions: [activity7Later, activity8],
                            links: [
                                Self.link(7, fingerprint: "sha256:host2", expires: 1_900_000_600),
                                Self.link(7, guest: "G", fingerprint: "sha256:g1"),
                            ])))

            let linksOnly = try ObservationReader.previousVolcengine(
                monitor: "volc", of: VolcengineObservation(restrictions: nil, links: []), in: database)
            #expect(linksOnly == VolcengineObservation(restrictions: nil, links: []))
        }
    }
}
