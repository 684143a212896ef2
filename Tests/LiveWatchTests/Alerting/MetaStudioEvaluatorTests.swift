import Foundation
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
        #expect(
            expiring
                == .firing(
                    severity: .critical,
                    message: "MetaStudio platform Shop (p-1) authorization expires in 12h (2027-01-15T20:00:00Z)",
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
        #expect(
            Self.evaluator.authorizationCondition(nameless)
                == .firing(
                    severity: .critical,
                    message: "MetaStudio platform p-1 is not authorized (authorize_state UNAUTHORIZED)",
                    value: nil, threshold: nil))
    }

    @Test func whatCannotBeKnownLeavesAlertsAlone() {
        var unreadable = Self.platform(expiresIn: nil)
        unreadable.expireTime = .unreadable
        #expect(Self.evaluator.expiryCondition(unreadable, now: Self.now) == .unknown)
        #expect(Self.evaluator.authorizationCondition(Self.platform(expiresIn: nil, state: nil)) == .unknown)
        // No expiry at all is not "about to expire".
        #expect(
            Self.evaluator.expiryCondition(Self.platform(expiresIn: nil), now: Self.now)
                == .clear(
                    message: "MetaStudio platform Shop (p-1) authorization no longer has an expiry time", value: nil))
    }

    @Test func aFailedPollSaysNothing() {
        let report = PollReport(
            monitor: "ms", vendor: "metastudio", startedAt: Self.now, finishedAt: Self.now, requests: 1,
            httpStatus: 500,
            requestID: nil, outcome: .failed(PollFailure(kind: .http, code: "http_500", message: "HTTP 500")))
        let evaluation = Self.evaluator.evaluate(
            report, previous: nil,
            openSubjects: [.platformAuthorizationExpiring: ["p-1"], .platformUnauthorized: ["p-1"]])
        #expect(evaluation.conditions.isEmpty)
        #expect(evaluation.notices.isEmpty)
    }

    static func report(_ platforms: [LivePlatform]) -> PollReport {
        PollReport(
            monitor: "ms", vendor: "metastudio", startedAt: now, finishedAt: now, requests: 1, httpStatus: 200,
            requestID: nil,
            outcome: .observed(.livePlatforms(LivePlatformListing(platforms: platforms))))
    }

    static func notices(_ current: LivePlatform, previous: LivePlatform?) -> [String] {
        evaluator.evaluate(
            report([current]), previous: previous.map { .livePlatforms(LivePlatformListing(platforms: [$0])) },
            openSubjects: [:]
        ).notices.map { "\($0.key.rule.rawValue) \($0.severity.rawValue): \($0.message)" }
    }

    /// Notices compare with the previous listing handed in: none for a platform seen for the first time
    /// (unless a callback is not HTTPS), the auth key and callback changes otherwise.
    @Test func noticesCompareWithThePreviousListing() {
        let https = PlatformCallback(apiType: "LIVE_EVENT_CALLBACK", url: "https://a.example.com/cb")
        let plain = PlatformCallback(apiType: "PRODUCT_QUERY", url: "http://b.example.com/q")
        var before = Self.platform(expiresIn: 30 * 86_400)
        before.callbacks = [https]
        #expect(Self.notices(before, previous: nil).isEmpty)
        #expect(Self.notices(before, previous: before).isEmpty)

        var after = before
        after.authKeyFingerprint = "sha256:1111111111111111"
        after.callbacks = [https, plain]
        #expect(
            Self.notices(after, previous: before) == [
                "platform_callback_insecure warning: MetaStudio platform Shop (p-1) has a callback URL that is not HTTPS, "
                    + "which MetaStudio does not support: PRODUCT_QUERY http://b.example.com/q",
                "platform_config_changed warning: MetaStudio platform Shop (p-1) auth key was set (sha256:1111111111111111)",
                "platform_config_changed info: MetaStudio platform Shop (p-1) callback URLs changed: PRODUCT_QUERY added (http://b.example.com/q)",
            ])
        // The same insecure callback again says nothing; seen for the first time it is said.
        #expect(Self.notices(after, previous: after).isEmpty)
        #expect(Self.notices(after, previous: nil).map { String($0.prefix(26)) } == ["platform_callback_insecure"])
    }

    /// A previous listing whose callbacks are unknown (stored before livewatch kept them) says
    /// nothing about callbacks: no change notice, and an insecure one is said as for a first sight.
    @Test func callbacksNotRecordedBeforeSayNothing() {
        var current = Self.platform(expiresIn: 30 * 86_400)
        current.callbacks = [PlatformCallback(apiType: "LIVE_EVENT_CALLBACK", url: "https://a.example.com")]
        var unknown = Self.platform(expiresIn: 30 * 86_400)
        unknown.callbacksKnown = false
        #expect(Self.notices(current, previous: unknown).isEmpty)
        current.callbacks.append(PlatformCallback(apiType: "PRODUCT_QUERY", url: "http://b.example.com"))
        #expect(
            Self.notices(current, previous: unknown).map { String($0.prefix(26)) } == ["platform_callback_insecure"])
    }

    /// A platform that left the listing resolves the open alerts handed in, named as the previous listing named it.
    @Test func aPlatformThatLeftResolvesItsOpenAlerts() {
        var gone = Self.platform(expiresIn: 3_600)
        gone.platformID = "p-2"
        gone.name = "Old shop"
        let evaluation = Self.evaluator.evaluate(
            Self.report([Self.platform(expiresIn: 30 * 86_400)]),
            previous: .livePlatforms(LivePlatformListing(platforms: [gone])),
            openSubjects: [.platformAuthorizationExpiring: ["p-1", "p-2", "p-3"], .platformUnauthorized: []])
        let resolutions = evaluation.conditions.filter { $0.0.subject != "p-1" }
        #expect(
            resolutions.map { "\($0.0.rule.rawValue) \($0.0.subject)" } == [
                "platform_authorization_expiring p-2", "platform_authorization_expiring p-3",
            ])
        #expect(
            resolutions.first?.1
                == .clear(
                    message:
                        "MetaStudio platform Old shop (p-2) is no longer listed by the project, so its alert is resolved",
                    value: nil))
        #expect(
            resolutions.last?.1
                == .clear(
                    message: "MetaStudio platform p-3 is no longer listed by the project, so its alert is resolved",
                    value: nil))
    }
}
