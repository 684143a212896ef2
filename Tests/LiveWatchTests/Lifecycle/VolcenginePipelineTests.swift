import Foundation
import Logging
import SQLite
import Testing

@testable import LiveWatch
@testable import VendorSimulator

/// The Volcengine monitor end to end: the real client and limiters against
/// the simulator, a real SQLite file and the real alert log.
@Suite struct VolcenginePipelineTests {
    typealias Harness = PipelineHarness<VolcengineFixture>

    static let activities = VolcengineFixture.activities

    @Test func onePollOfThreeActivitiesStoresThreeRestrictionsAndThreeLinksAllAccepted() async throws {
        let fixture = try await VolcengineFixture.start()
        let folder = try TemporaryFolder()
        let (reports, database) = try await pollOnce(
            .volcengine(fixture.configuration), in: folder, transport: fixture.transport)
        #expect(reports.count == 1)
        #expect(reports.first?.succeeded == true, "\(String(describing: reports.first?.failure))")

        let counters = fixture.volcengine.counters
        #expect(counters.requests == 6)
        #expect(counters.accepted == 6)
        #expect(counters.acceptedRestrictions == 3 && counters.acceptedLinks == 3)
        let store = try Store(path: database)
        let restrictions = try store.accessSynchronously {
            try $0.query("SELECT * FROM viewing_restrictions ORDER BY activity_id")
        }
        #expect(restrictions.count == 3)
        for (row, activity) in zip(restrictions, Self.activities) {
            let expected = try #require(fixture.volcengine.restrictions(activityID: activity).first)
            #expect(row.string("activity_id") == String(activity))
            #expect(row.int64("restriction_type") == 1)
            #expect(row.string("secret_fingerprint") == Secret.fingerprint(of: expected.secretKey))
            #expect(row.string("custom_url") == expected.customURL)
            #expect(row.string("custom_app") == expected.customApp)
            #expect(row.string("error_redirect_url") == expected.errorRedirectURL)
            #expect(row.string("main_button_title") == "Company login")
            #expect(row.string("sub_button_title") == "Partner login")
            #expect(row.string("monitor") == "volc-events")
        }
        let links = try store.accessSynchronously {
            try $0.query("SELECT * FROM live_client_links ORDER BY activity_id")
        }
        #expect(links.count == 3)
        for (row, activity) in zip(links, Self.activities) {
            let expected = try #require(fixture.volcengine.hostLink(activityID: activity))
            #expect(row.int64("login_type") == 0)
            #expect(row["user_name"] == .null)
            #expect(row.int64("expire_time") == expected.expireTime)
            #expect(row.string("url_fingerprint") == Secret.fingerprint(of: expected.url))
            #expect(row.string("tmp_url_fingerprint") == Secret.fingerprint(of: expected.temporaryURL))
        }
        let poll = try #require(try store.accessSynchronously { try $0.first("SELECT * FROM polls") })
        #expect(poll.int64("ok") == 1)
        #expect(poll.int64("items") == 3)
        #expect(poll.int64("requests") == 6)
        #expect(poll.string("vendor") == "volcengine")
        #expect(poll.string("request_id")?.count == 32)
        #expect(alertLogLines(folder.file("alerts.log")).isEmpty, "a first observation writes no notice")
        store.close()
        await fixture.stop()
        folder.remove()
    }

    @Test func aRotatedSecretKeyGivesExactlyOneNoticeSayingSo() async throws {
        try await withHarness({ try Harness.make(try await VolcengineFixture.start(links: false)) }) {
            harness async throws in
            #expect(await harness.poll().succeeded)
            await harness.poll()
            #expect(harness.lines().isEmpty)

            let rotated = Self.activities[1]
            let newSecret = harness.volcengine.rotateRestrictionSecret(activityID: rotated)
            #expect(await harness.poll().succeeded)
            let notices = harness.lines()
            #expect(notices.count == 1)
            #expect(notices.first?["rule"] as? String == "viewing_restriction_changed")
            #expect(notices.first?["state"] as? String == "notice")
            #expect(notices.first?["severity"] as? String == "warning")
            #expect(notices.first?["subject"] as? String == String(rotated))
            #expect(notices.first?["monitor"] as? String == "volc-events")
            #expect(
                notices.first?["message"] as? String
                    == "Volcengine activity \(rotated) viewing restrictions changed: main restriction (type 1): secret rotated"
            )
            #expect(
                try harness.count(
                    "SELECT count(*) FROM viewing_restrictions WHERE secret_fingerprint = ?",
                    [Secret.fingerprint(of: newSecret)]) == 1)

            // Unchanged since: nothing more.
            await harness.poll()
            #expect(harness.lines().count == 1)
        }
    }

    @Test func urlChangesDisappearanceAndReturnAreEachNoticed() async throws {
        let activity = Self.activities[0]
        try await withHarness({
            try Harness.make(try await VolcengineFixture.start(activities: [activity], links: false))
        }) { harness async throws in
            await harness.poll()

            /// The notices so far are `count`, the last one of `severity` naming `change`.
            func expectNotices(
                _ count: Int, last severity: String, _ change: String, sourceLocation: SourceLocation = #_sourceLocation
            ) {
                let lines = harness.lines(rule: "viewing_restriction_changed")
                #expect(lines.count == count, sourceLocation: sourceLocation)
                #expect(lines.last?["severity"] as? String == severity, sourceLocation: sourceLocation)
                #expect(
                    lines.last?["message"] as? String
                        == "Volcengine activity \(activity) viewing restrictions changed: " + change,
                    sourceLocation: sourceLocation)
            }

            harness.volcengine.updateRestriction(activityID: activity, type: 1) {
                $0.customURL = "https://sso.example.com/v2/login"
                $0.customApp = "sso-v2"
            }
            await harness.poll()
            expectNotices(1, last: "info", "main restriction (type 1): CustomApp changed, CustomUrl changed")

            let before = harness.volcengine.restrictions(activityID: activity)
            harness.volcengine.setRestrictions(activityID: activity, [])
            await harness.poll()
            expectNotices(2, last: "warning", "main restriction (type 1) disappeared")
            #expect(
                try harness.count(
                    "SELECT count(*) FROM viewing_restrictions WHERE restriction_type IS NULL AND secret_fingerprint IS NULL"
                ) == 1)

            await harness.poll()
            #expect(harness.lines(rule: "viewing_restriction_changed").count == 2, "still none: no change")

            harness.volcengine.setRestrictions(activityID: activity, before + [.sample(type: 2)])
            await harness.poll()
            expectNotices(3, last: "info", "main restriction (type 1) added; secondary restriction (type 2) added")
        }
    }

    @Test func aLinkExpiringInsideTheWindowFiresAndARenewedOneResolves() async throws {
        let activity = Self.activities[0]
        try await withHarness({
            try Harness.make(
                try await VolcengineFixture.start(
                    activities: [activity], restrictions: false, guests: ["嘉宾A"], linkExpiryWarning: 7_200,
                    linkExpiresIn: 3_600))
        }) { harness async throws in
            #expect(await harness.poll().succeeded)
            var lines = harness.lines(rule: "live_client_link_expiring")
            #expect(lines.count == 1)
            #expect(lines.first?["state"] as? String == "firing")
            #expect(lines.first?["severity"] as? String == "warning")
            #expect(lines.first?["subject"] as? String == String(activity))
            #expect(
                (lines.first?["message"] as? String)?.hasPrefix(
                    "The host's temporary start link for activity \(activity) expires in ") == true)
            #expect(lines.first?["threshold"] as? Int == 7_200)
            let value = try #require(lines.first?["value"] as? Int)
            #expect((3_590...3_600).contains(value))

            await harness.poll()
            #expect(harness.lines(rule: "live_client_link_expiring").count == 1, "still firing, not repeated")

            harness.volcengine.renewTemporaryLink(activityID: activity, expiresIn: 86_400)
            await harness.poll()
            lines = harness.lines(rule: "live_client_link_expiring")
            #expect(lines.count == 2)
            #expect(lines.last?["state"] as? String == "resolved")
            #expect(
                try harness.count(
                    "SELECT count(*) FROM alerts WHERE rule = 'live_client_link_expiring' AND state = 'firing'") == 0)
            // The guest link has no temporary form, so nothing about it ever fires.
            #expect(harness.lines().allSatisfy { $0["subject"] as? String == String(activity) })
            #expect(
                try harness.count(
                    "SELECT count(*) FROM live_client_links WHERE user_name = '嘉宾A' AND expire_time IS NULL")
                    == 3)
        }
    }

    @Test func aRegeneratedPermanentLinkIsNoticedOnceForItsSubjectOnly() async throws {
        let activity = Self.activities[0]
        try await withHarness({
            try Harness.make(
                try await VolcengineFixture.start(
                    activities: [activity], restrictions: false, guests: ["嘉宾A", "Guest B"]))
        }) { harness async throws in
            await harness.poll()
            // TmpUrl may change on every call; only the permanent Url matters.
            harness.volcengine.renewTemporaryLink(activityID: activity, expiresIn: 90_000)
            await harness.poll()
            #expect(harness.lines().isEmpty)

            harness.volcengine.regenerateHostLink(activityID: activity)
            await harness.poll()
            let lines = harness.lines()
            #expect(lines.count == 1)
            #expect(lines.first?["rule"] as? String == "live_client_link_changed")
            #expect(lines.first?["state"] as? String == "notice")
            #expect(lines.first?["severity"] as? String == "warning")
            #expect(lines.first?["subject"] as? String == String(activity))
            #expect(
                lines.first?["message"] as? String
                    == "The host's permanent start link for activity \(activity) changed: links handed out before no longer work"
            )
            #expect(
                try harness.count("SELECT count(DISTINCT url_fingerprint) FROM live_client_links WHERE login_type = 0")
                    == 2
            )
            #expect(try harness.count("SELECT count(*) FROM live_client_links WHERE user_name = 'Guest B'") == 3)
        }
    }

    @Test func theRateLimitsHoldAcrossActivitiesAndPolls() async throws {
        try await withHarness({ try Harness.make(try await VolcengineFixture.start(guests: ["嘉宾A"])) }) {
            harness async throws in
            let recording = RecordingTransport(harness.fixture.transport)
            let runtime = MonitorRuntime.make(.volcengine(harness.fixture.configuration), transport: recording)
            #expect(await harness.poll(runtime).succeeded)
            #expect(await harness.poll(runtime).succeeded)
            let restrictions = recording.starts(of: VolcengineClient.restrictionAction)
            let links = recording.starts(of: VolcengineClient.linkAction)
            #expect(restrictions.count == 6)
            #expect(links.count == 12)
            // 120/min is one slot per 0.5025 s, 10/s one per 0.1005 s (the limiter's 0.5 % margin), across activities
            // and polls. A start never precedes its slot; an earlier start that overslept (tens of milliseconds on
            // a loaded machine, more under a parallel test run) is made up by the later ones, so between any two
            // starts i < j: (j - i) slots, less that oversleep.
            func holds(_ starts: [Date], spacing: Double) -> Bool {
                for i in starts.indices {
                    for j in starts.indices where j > i {
                        if starts[j].timeIntervalSince(starts[i]) < Double(j - i) * spacing - 0.3 { return false }
                    }
                }
                return true
            }
            #expect(
                holds(restrictions, spacing: 0.5025), "\(restrictions.map { $0.timeIntervalSince(restrictions[0]) })")
            #expect(holds(links, spacing: 0.1005), "\(links.map { $0.timeIntervalSince(links[0]) })")
            #expect(harness.volcengine.counters.acceptedRestrictions == 6)
        }
    }

    @Test func theSimulatorEnforcesTheDocumentedRates() async throws {
        try await withFixture({ try await VolcengineFixture.start(activities: [Self.activities[0]]) }) { fixture in
            let client = fixture.client()
            func simulated(_ request: OutgoingRequest) throws -> SimulatedRequest {
                let url = try #require(URLComponents(string: request.url))
                return SimulatedRequest(
                    method: request.method, path: url.path, rawQuery: url.percentEncodedQuery ?? "",
                    headers: request.headers,
                    body: request.body ?? [])
            }
            // A burst straight at the simulator (no network): the documented counts pass, the next ones are refused.
            var linkStatuses: [Int] = []
            for _ in 0..<15 {
                let request = try simulated(
                    client.makeLinkRequest(activityID: Self.activities[0], kind: .host, at: Date(), timeout: 1).request)
                if case .reply(let status, _, _) = fixture.volcengine.handle(request) { linkStatuses.append(status) }
            }
            #expect(linkStatuses.prefix(10).allSatisfy { $0 == 200 }, "\(linkStatuses)")
            #expect(linkStatuses.contains(429), "10 link requests per second")
            var restrictionStatuses: [Int] = []
            for _ in 0..<125 {
                let request = try simulated(
                    client.makeRestrictionRequest(activityID: Self.activities[0], at: Date(), timeout: 1).request)
                if case .reply(let status, _, _) = fixture.volcengine.handle(request) {
                    restrictionStatuses.append(status)
                }
            }
            #expect(restrictionStatuses.prefix(120).allSatisfy { $0 == 200 })
            #expect(restrictionStatuses.contains(429), "120 restriction requests per minute")
            #expect(fixture.volcengine.counters.rejectedRateLimit >= 2)
        }
    }

    @Test func aFailedPollStoresOnlyItsPollsRowWithTheVendorsError() async throws {
        try await withHarness({ try Harness.make(try await VolcengineFixture.start()) }) { harness async throws in
            harness.volcengine.linkFaults.setStanding(.serverError)
            let report = await harness.poll()
            #expect(report.failure?.code == "http_500")
            #expect(try harness.count("SELECT count(*) FROM viewing_restrictions") == 0)
            #expect(try harness.count("SELECT count(*) FROM live_client_links") == 0)
            #expect(
                try harness.count(
                    "SELECT count(*) FROM polls WHERE ok = 0 AND error_code = 'http_500' AND http_status = 500") == 1)

            harness.volcengine.linkFaults.setStanding(nil)
            var configuration = harness.fixture.configuration
            configuration.activityIDs.append(4_242)
            let unknown = MonitorRuntime.make(.volcengine(configuration), transport: harness.fixture.transport)
            #expect(await harness.poll(unknown).failure?.code == "10001")
            let row = try #require(try harness.rows("SELECT * FROM polls ORDER BY id DESC LIMIT 1").first)
            #expect(row.string("error_code") == "10001")
            #expect(row.int64("http_status") == 400)
            #expect(row.string("request_id")?.count == 32)
            #expect(row.string("error_message")?.contains("activity 4242") == true)
            #expect(try harness.count("SELECT count(*) FROM viewing_restrictions") == 0)
        }
    }

    @Test func noCredentialSecretKeyOrLinkReachesTheDatabaseTheAlertLogOrTheLogs() async throws {
        let activity = Self.activities[0]
        try await withHarness({
            try Harness.make(
                try await VolcengineFixture.start(activities: [activity], guests: ["嘉宾A"], linkExpiresIn: 600),
                failureThreshold: 1)
        }) { harness async throws in
            let simulator = harness.volcengine
            var secrets: [String] = [VolcengineFixture.accessKey, VolcengineFixture.secretKey]
            func collect() {
                secrets += simulator.restrictions(activityID: activity).map(\.secretKey)
                if let host = simulator.hostLink(activityID: activity) { secrets += [host.url, host.temporaryURL] }
                if let guest = simulator.guestLink(activityID: activity, name: "嘉宾A") { secrets.append(guest) }
            }
            let faults: [(FaultScript?, SimulatedFault?)] = [
                (nil, nil), (simulator.faults, .html), (simulator.linkFaults, .truncatedJSON),
                (simulator.linkFaults, .connectionReset), (simulator.faults, .serverError),
            ]
            for (script, fault) in faults {
                if let script, let fault { script.setStanding(fault) }
                collect()
                await harness.poll()
                script?.setStanding(nil)
                simulator.rotateRestrictionSecret(activityID: activity)
                simulator.regenerateHostLink(activityID: activity)
                simulator.renewTemporaryLink(activityID: activity, expiresIn: 600)
            }
            collect()
            #expect(await harness.poll().succeeded)
            // Rejected: a wrong secret key, and an unknown access key.
            var wrong = harness.fixture.configuration
            wrong.secretKey = Secret("wrong-secret-key-\(UUID().uuidString)")
            secrets.append(wrong.secretKey.reveal())
            #expect(
                await harness.poll(MonitorRuntime.make(.volcengine(wrong), transport: harness.fixture.transport))
                    .failure?
                    .kind == .authentication)
            harness.store.close()

            let notices = harness.lines().filter { $0["state"] as? String == "notice" }.compactMap {
                $0["rule"] as? String
            }
            #expect(notices.contains("viewing_restriction_changed"))
            #expect(notices.contains("live_client_link_changed"))
            #expect(harness.lines(rule: "live_client_link_expiring").isEmpty == false)
            let signatures = simulator.receivedSignatures
            #expect(signatures.count >= 10)
            let haystacks = harness.writtenText()
            #expect(haystacks["alerts.log"]?.isEmpty == false)
            #expect(haystacks["log"]?.contains("poll failed") == true)
            for (name, text) in haystacks {
                for secret in secrets {
                    #expect(!text.contains(secret), "a secret (\(secret.prefix(6))…) is in \(name)")
                }
                for signature in signatures {
                    #expect(!text.contains(signature), "a signature is in \(name)")
                }
                #expect(!text.contains("live.volcengine.example"), "a start link is in \(name)")
            }
        }
    }
}

extension PipelineHarness where Fixture == VolcengineFixture {
    var volcengine: VolcengineSimulation { fixture.volcengine }

    static func make(_ fixture: VolcengineFixture, failureThreshold: Int = 3) throws -> Self {
        try Self(fixture, failureThreshold: failureThreshold) { fixture, _ in
            MonitorRuntime.make(.volcengine(fixture.configuration), transport: fixture.transport)
        }
    }
}
