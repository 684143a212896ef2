import Foundation
import SQLite
import Testing
@testable import LiveWatch

/// The MetaStudio rules on their own: thresholds, unknowns, wording, and an upgraded database.
@Suite struct MetaStudioEvaluatorTests {
    static let evaluator = MetaStudioEvaluator(monitor: "ms", expiryWarning: 7 * 86_400, expiryCritical: 86_400)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func platform(expiresIn: Double?, state: String? = "AUTHORIZED") -> LivePlatform {
        LivePlatform(
            platformID: "p-1", name: "Shop", authorizeState: state,
            expireTime: expiresIn.map { .parsed(now.addingTimeInterval($0)) } ?? .absent)
    }

    @Test func theWindowsIncludeTheirBoundaries() {
        let cases: [(Double, Severity?)] = [
            (7 * 86_400 + 1, nil), (7 * 86_400, .warning), (86_400 + 1, .warning), (86_400, .critical), (0, .critical),
            (-3_600, .critical),
        ]
        for (remaining, severity) in cases {
            let condition = Self.evaluator.expiryCondition(Self.platform(expiresIn: remaining), now: Self.now)
            switch (condition, severity) {
            case (.firing(let actual, _, let value, _), let expected?):
                #expect(actual == expected, "\(remaining)")
                #expect(value == remaining)
            case (.clear, nil):
                break
            default:
                Issue.record("\(remaining): \(condition)")
            }
        }
    }

    @Test func messagesAreOneHumanSentence() {
        let expiring = Self.evaluator.expiryCondition(Self.platform(expiresIn: 12 * 3_600), now: Self.now)
        #expect(expiring == .firing(
            severity: .critical, message: "MetaStudio platform Shop (p-1) authorization expires in 12h (2027-01-15T20:00:00Z)",
            value: 43_200, threshold: 86_400))
        let expired = Self.evaluator.expiryCondition(Self.platform(expiresIn: -90 * 60), now: Self.now)
        if case .firing(_, let message, _, _) = expired {
            #expect(message == "MetaStudio platform Shop (p-1) authorization expired 1h30m ago (2027-01-15T06:30:00Z)")
        } else {
            Issue.record("\(expired)")
        }
        #expect(MetaStudioEvaluator.relative(3 * 86_400 - 0.4) == "expires in 3d")
        #expect(MetaStudioEvaluator.relative(36 * 3_600 + 1_200) == "expires in 1d12h")
        #expect(MetaStudioEvaluator.relative(45) == "expires in 45s")
        var nameless = Self.platform(expiresIn: nil, state: "UNAUTHORIZED")
        nameless.name = nil
        #expect(Self.evaluator.authorizationCondition(nameless) == .firing(
            severity: .critical, message: "MetaStudio platform p-1 is not authorized (authorize_state UNAUTHORIZED)",
            value: nil, threshold: nil))
    }

    @Test func whatCannotBeKnownLeavesAlertsAlone() {
        var unreadable = Self.platform(expiresIn: nil)
        unreadable.expireTime = .unreadable
        #expect(Self.evaluator.expiryCondition(unreadable, now: Self.now) == .unknown)
        #expect(Self.evaluator.authorizationCondition(Self.platform(expiresIn: nil, state: nil)) == .unknown)
        // No expiry at all is not "about to expire".
        #expect(Self.evaluator.expiryCondition(Self.platform(expiresIn: nil), now: Self.now)
            == .clear(message: "MetaStudio platform Shop (p-1) authorization no longer has an expiry time", value: nil))
    }

    @Test func aFailedPollSaysNothing() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("db"))
        defer { store.close() }
        let report = PollReport(
            monitor: "ms", vendor: "metastudio", startedAt: Self.now, finishedAt: Self.now, requests: 1, httpStatus: 500,
            requestID: nil, outcome: .failed(PollFailure(kind: .http, code: "http_500", message: "HTTP 500")))
        let evaluation = try store.accessSynchronously { try Self.evaluator.evaluate(report, in: $0) }
        #expect(evaluation.conditions.isEmpty)
        #expect(evaluation.notices.isEmpty)
    }

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
                    "INSERT INTO platform_authorizations (monitor, observed_at, platform_id, auth_key_fingerprint) VALUES ('ms', 1, 'p-1', 'sha256:0000000000000000')")
            }
        }
        let store = try Store(path: folder.file("db"))
        defer { store.close() }
        #expect(try store.accessSynchronously { try $0.userVersion() } == Schema.migrator.latestVersion)
        var platform = Self.platform(expiresIn: 30 * 86_400)
        platform.authKeyFingerprint = "sha256:0000000000000000"
        platform.callbacks = [PlatformCallback(apiType: "LIVE_EVENT_CALLBACK", url: "https://a.example.com")]
        let report = PollReport(
            monitor: "ms", vendor: "metastudio", startedAt: Self.now, finishedAt: Self.now, requests: 1, httpStatus: 200,
            requestID: nil, outcome: .observed(.livePlatforms(LivePlatformListing(platforms: [platform]))))
        let evaluation = try store.accessSynchronously { try Self.evaluator.evaluate(report, in: $0) }
        #expect(evaluation.notices.isEmpty)
        #expect(evaluation.conditions.count == 2)
    }
}
