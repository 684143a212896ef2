import Foundation
import SQLite
import Testing

@testable import LiveWatch

@Suite struct VolcengineEvaluatorTests {
    static func restriction(_ type: Int?, app: String = "a", url: String = "https://u", secret: String? = "sha256:1")
        -> ViewingRestriction
    {
        ViewingRestriction(
            type: type, customApp: app, customURL: url, errorRedirectURL: "https://e", secretFingerprint: secret)
    }

    static func activity(_ entries: [ViewingRestriction], main: String? = "M", sub: String? = "S")
        -> ActivityViewingRestrictions
    {
        ActivityViewingRestrictions(activityID: 7, mainButtonTitle: main, subButtonTitle: sub, entries: entries)
    }

    @Test func differencesNameFieldsNeverValues() {
        let before = Self.activity([Self.restriction(1), Self.restriction(2)])
        let after = Self.activity(
            [
                Self.restriction(1, secret: nil),
                Self.restriction(2, app: "b", url: "https://secret-looking-url", secret: "sha256:2"),
            ],
            main: "M2")
        let (changes, serious) = VolcengineEvaluator.differences(from: before, to: after)
        #expect(
            changes == [
                "main restriction (type 1): secret removed",
                "secondary restriction (type 2): secret rotated, CustomApp changed, CustomUrl changed",
                "MainViewingRestrictionButtonTitle changed",
            ])
        #expect(serious)
        #expect(!changes.joined().contains("secret-looking-url"))
    }

    @Test func onlyTitlesOrAnAddedRestrictionIsInfo() {
        let (titles, titlesSerious) = VolcengineEvaluator.differences(
            from: Self.activity([Self.restriction(1)]), to: Self.activity([Self.restriction(1)], sub: nil))
        #expect(titles == ["SubViewingRestrictionButtonTitle changed"])
        #expect(!titlesSerious)
        let (added, addedSerious) = VolcengineEvaluator.differences(
            from: Self.activity([]), to: Self.activity([Self.restriction(1, secret: nil)]))
        #expect(added == ["main restriction (type 1) added"])
        #expect(!addedSerious)
        let (same, _) = VolcengineEvaluator.differences(
            from: Self.activity([Self.restriction(2)]), to: Self.activity([Self.restriction(2)]))
        #expect(same.isEmpty)
    }

    @Test func anExpiredLinkSaysHowLongAgoAndAFarOneClears() {
        let evaluator = VolcengineEvaluator(monitor: "v", linkExpiryWarning: 7_200)
        let link = LiveClientLink(
            activityID: 7, loginType: 0, userName: nil, expireTime: 1_800_000_000, urlFingerprint: "sha256:u",
            temporaryURLFingerprint: "sha256:t")
        #expect(
            evaluator.expiryCondition(for: link, now: 1_800_000_300)
                == .firing(
                    severity: .warning,
                    message: "The host's temporary start link for activity 7 expired 5m ago, at 2027-01-15T08:00:00Z",
                    value: -300, threshold: 7_200))
        #expect(
            evaluator.expiryCondition(for: link, now: 1_800_000_000 - 7_200)
                == .firing(
                    severity: .warning,
                    message: "The host's temporary start link for activity 7 expires in 2h, at 2027-01-15T08:00:00Z",
                    value: 7_200, threshold: 7_200))
        #expect(
            evaluator.expiryCondition(for: link, now: 1_800_000_000 - 7_201)
                == .clear(
                    message:
                        "The host's temporary start link for activity 7 now expires in 2h1s, at 2027-01-15T08:00:00Z",
                    value: 7_201))
    }

    @Test func anExpiringLinkNoLongerWatchedIsResolvedAndAFailedPollChangesNothing() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        defer { store.close() }
        let evaluator = VolcengineEvaluator(monitor: "v", linkExpiryWarning: 7_200)
        let book = AlertBook(repeatInterval: 3_600)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func report(_ links: [LiveClientLink]?) -> PollReport {
            PollReport(
                monitor: "v", vendor: "volcengine", startedAt: now, finishedAt: now, requests: 1, httpStatus: 200,
                requestID: nil,
                outcome: .observed(.volcengine(VolcengineObservation(restrictions: nil, links: links))))
        }
        let guest = LiveClientLink(
            activityID: 7, loginType: 1, userName: "G", expireTime: 1_800_000_600, urlFingerprint: "sha256:g",
            temporaryURLFingerprint: nil)
        let first = try store.writeSynchronously { database in
            try PollRecorder.recordInTransaction(
                report([guest]), evaluator: evaluator, book: book, failureThreshold: 3, in: database)
        }
        #expect(first.map(\.subject) == ["7:G"])
        #expect(first.first?.state == .firing)

        let failed = PollReport(
            monitor: "v", vendor: "volcengine", startedAt: now, finishedAt: now, requests: 1, httpStatus: 500,
            requestID: nil,
            outcome: .failed(PollFailure(kind: .http, code: "http_500", message: "HTTP 500")))
        let afterFailure = try store.writeSynchronously { database in
            try PollRecorder.recordInTransaction(
                failed, evaluator: evaluator, book: book, failureThreshold: 3, in: database)
        }
        #expect(afterFailure.isEmpty)

        let unwatched = try store.writeSynchronously { database in
            try PollRecorder.recordInTransaction(
                report([]), evaluator: evaluator, book: book, failureThreshold: 3, in: database)
        }
        #expect(unwatched.map(\.state) == [.resolved])
        #expect(unwatched.first?.message.hasPrefix("Start link 7:G is no longer watched") == true)
    }
}
