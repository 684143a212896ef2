import Foundation
import SQLite
import Testing
import VendorSimulator

@testable import LiveWatch

/// MetaStudio end to end: the real client against the simulator, a real SQLite
/// file, the real alert log, and (for the 5-minute wait) the daemon's scheduler
/// on a manual clock.
@Suite struct MetaStudioPipelineTests {
    static let project = MetaStudioFixture.projectID

    typealias Harness = PipelineHarness<MetaStudioFixture>

    static func summary(_ line: [String: Any]) -> String {
        "\(line["rule"] ?? "")/\(line["subject"] ?? "")/\(line["state"] ?? "")/\(line["severity"] ?? "")"
    }

    @Test func twoHundredFiftyPlatformsFireTheThreeAlertsAndRenewingResolvesThem() async throws {
        try await withHarness({ try await Harness.make(platforms: 250) }) { harness async throws in
            #expect(await harness.poll().succeeded)
            #expect(try harness.count("SELECT count(*) FROM platform_authorizations") == 250)
            #expect(try harness.count("SELECT count(DISTINCT platform_id) FROM platform_authorizations") == 250)
            #expect(try harness.count("SELECT items FROM polls") == 250)
            #expect(try harness.count("SELECT requests FROM polls") == 3)
            #expect(
                try harness.count(
                    "SELECT count(*) FROM polls WHERE ok = 1 AND vendor = 'metastudio' AND length(request_id) = 32")
                    == 1)
            #expect(
                try harness.count(
                    "SELECT count(*) FROM platform_authorizations WHERE auth_key_fingerprint LIKE 'sha256:%'")
                    == 250)
            #expect(harness.lines().isEmpty)

            harness.update("p-0001") { $0.expiresIn = 12 * 3_600 }
            harness.update("p-0002") { $0.expiresIn = 3 * 86_400 }
            harness.update("p-0003") { $0.state = "UNAUTHORIZED" }
            await harness.poll()
            var lines = harness.lines()
            // In evaluation order: per platform, expiry then authorization.
            #expect(
                lines.map(Self.summary) == [
                    "platform_authorization_expiring/p-0001/firing/critical",
                    "platform_authorization_expiring/p-0002/firing/warning",
                    "platform_unauthorized/p-0003/firing/critical",
                ])
            let critical = try #require(lines.first { $0["subject"] as? String == "p-0001" })
            let message = try #require(critical["message"] as? String)
            #expect(message.hasPrefix("MetaStudio platform Platform 1 (p-0001) authorization expires in 12h ("))
            #expect(critical["threshold"] as? Int == 86_400)
            #expect(abs((critical["value"] as? Double ?? 0) - 43_200) < 10)
            let warning = try #require(lines.first { $0["subject"] as? String == "p-0002" })
            #expect((warning["message"] as? String)?.contains("authorization expires in 3d (") == true)
            #expect(warning["threshold"] as? Int == 7 * 86_400)
            let unauthorized = try #require(lines.first { $0["rule"] as? String == "platform_unauthorized" })
            #expect(
                unauthorized["message"] as? String
                    == "MetaStudio platform Platform 3 (p-0003) is not authorized (authorize_state UNAUTHORIZED)")

            // Still the same: nothing new (repeat_interval is 6h).
            await harness.poll()
            #expect(harness.lines().count == 3)

            harness.update("p-0001") { $0.expiresIn = 365 * 86_400 }
            harness.update("p-0002") { $0.expiresIn = 365 * 86_400 }
            harness.update("p-0003") { $0.state = "AUTHORIZED" }
            await harness.poll()
            lines = harness.lines()
            #expect(lines.count == 6)
            #expect(
                Set(lines.suffix(3).map(Self.summary)) == [
                    "platform_authorization_expiring/p-0001/resolved/critical",
                    "platform_authorization_expiring/p-0002/resolved/warning",
                    "platform_unauthorized/p-0003/resolved/critical",
                ])
            #expect(try harness.count("SELECT count(*) FROM alerts WHERE state = 'resolved'") == 3)
            #expect(try harness.count("SELECT count(*) FROM alerts WHERE state = 'firing'") == 0)
            #expect(try harness.count("SELECT count(*) FROM platform_authorizations") == 1_000)
        }
    }

    @Test func expiringEscalatesFromWarningToCriticalAndResolvesWhenTheExpiryMovesOut() async throws {
        try await withHarness({ try await Harness.make() }) { harness async throws in
            harness.update("p-0001") { $0.expiresIn = 5 * 86_400 }
            await harness.poll()
            harness.update("p-0001") { $0.expiresIn = 20 * 3_600 }
            await harness.poll()
            // Already expired: still critical, no new line.
            harness.update("p-0001") { $0.expiresIn = -2 * 3_600 }
            await harness.poll()
            #expect(
                try harness.count("SELECT count(*) FROM alerts WHERE message LIKE '%authorization expired 2h ago (%'")
                    == 1)
            harness.update("p-0001") { $0.expiresIn = 30 * 86_400 }
            await harness.poll()
            let lines = harness.lines()
            #expect(
                lines.map(Self.summary) == [
                    "platform_authorization_expiring/p-0001/firing/warning",
                    "platform_authorization_expiring/p-0001/firing/critical",
                    "platform_authorization_expiring/p-0001/resolved/critical",
                ])
            #expect((lines.last?["message"] as? String)?.contains(", in 30d (fired for ") == true)
            #expect(
                (lines.last?["message"] as? String)?.hasPrefix(
                    "MetaStudio platform Platform 1 (p-0001) authorization now expires 20") == true)
            #expect(try harness.count("SELECT count(*) FROM alerts") == 1)
        }
    }

    @Test func aPlatformThatLeavesTheListingResolvesItsAlertsSayingSo() async throws {
        try await withHarness({ try await Harness.make() }) { harness async throws in
            harness.update("p-0002") {
                $0.state = "UNAUTHORIZED"
                $0.expiresIn = 3_600
            }
            await harness.poll()
            #expect(harness.lines().count == 2)
            harness.simulation.removePlatform("p-0002", project: Self.project)
            #expect(await harness.poll().items == 2)
            let resolved = harness.lines().suffix(2)
            #expect(
                Set(resolved.map(Self.summary)) == [
                    "platform_authorization_expiring/p-0002/resolved/critical",
                    "platform_unauthorized/p-0002/resolved/critical",
                ])
            for line in resolved {
                #expect(
                    (line["message"] as? String)?.hasPrefix(
                        "MetaStudio platform Platform 2 (p-0002) is no longer listed by the project, so its alert is resolved"
                    ) == true)
            }
        }
    }

    @Test func keyAndCallbackChangesAreNoticedButNeverAtAFirstObservation() async throws {
        try await withHarness({ try await Harness.make() }) { harness async throws in
            harness.update("p-0002") {
                $0.callbacks.append(.init(apiType: "PRODUCT_QUERY", url: "http://shop.example.com/products"))
            }
            await harness.poll()
            // First observation: no change notice, but the plain-http callback is worth a warning at once.
            #expect(harness.lines().map(Self.summary) == ["platform_callback_insecure/p-0002/notice/warning"])
            #expect(
                harness.lines().first?["message"] as? String
                    == "MetaStudio platform Platform 2 (p-0002) has a callback URL that is not HTTPS, which MetaStudio does not support: PRODUCT_QUERY http://shop.example.com/products"
            )

            // Nothing changed: nothing written, the insecure warning is not repeated.
            await harness.poll()
            #expect(harness.lines().count == 1)

            let oldKey = try #require(harness.simulation.platforms(project: Self.project).first?.authKey)
            harness.update("p-0001") {
                $0.authKey = "rotated-auth-key-0001"
                $0.callbacks = [.init(apiType: "LIVE_EVENT_CALLBACK", url: "https://live2.example.com/cb")]
            }
            harness.simulation.addPlatforms(count: 1, project: Self.project)
            harness.update("p-0004") {
                $0.callbacks = [.init(apiType: "LIVE_EVENT_CALLBACK", url: "http://plain.example.com/cb")]
            }
            #expect(await harness.poll().items == 4)
            let lines = Array(harness.lines().dropFirst())
            #expect(
                lines.map(Self.summary) == [
                    "platform_config_changed/p-0001/notice/warning",
                    "platform_config_changed/p-0001/notice/info",
                    "platform_callback_insecure/p-0004/notice/warning",
                ])
            #expect(
                lines[0]["message"] as? String
                    == "MetaStudio platform Platform 1 (p-0001) auth key changed (\(Secret.fingerprint(of: oldKey)) → \(Secret.fingerprint(of: "rotated-auth-key-0001")))"
            )
            #expect(
                lines[1]["message"] as? String
                    == "MetaStudio platform Platform 1 (p-0001) callback URLs changed: LIVE_EVENT_CALLBACK https://live.example.com/callbacks/p-0001 → https://live2.example.com/cb"
            )
            // Notices are not alerts.
            #expect(try harness.count("SELECT count(*) FROM alerts") == 0)
            #expect(
                try harness.count(
                    "SELECT count(*) FROM platform_authorizations WHERE callback_urls = '[{\"api_type\":\"LIVE_EVENT_CALLBACK\",\"url\":\"https://live2.example.com/cb\"}]'"
                ) == 1)
        }
    }

    @Test func aListingThatFailsHalfwayStoresOnlyItsPollsRowAndLeavesAlertsAlone() async throws {
        try await withHarness({ try await Harness.make(platforms: 250) }) { harness async throws in
            harness.update("p-0001") { $0.state = "UNAUTHORIZED" }
            await harness.poll()
            #expect(harness.lines().count == 1)
            harness.update("p-0001") { $0.state = "AUTHORIZED" }
            harness.simulation.faults.inject(.slow(seconds: 0))
            harness.simulation.faults.inject(.serverError)
            let report = await harness.poll()
            #expect(!report.succeeded)
            #expect(report.requests == 2)
            #expect(try harness.count("SELECT count(*) FROM platform_authorizations") == 250)
            #expect(
                try harness.count(
                    "SELECT count(*) FROM polls WHERE ok = 0 AND error_code = 'http_500' AND http_status = 500 AND items = 0 AND requests = 2"
                ) == 1)
            // The failed poll neither resolved the alert nor said anything.
            #expect(harness.lines().count == 1)
            #expect(try harness.count("SELECT count(*) FROM alerts WHERE state = 'firing'") == 1)
        }
    }

    @Test func vendorErrorsAreRecordedWithTheirCodeMessageAndRequestID() async throws {
        try await withHarness({ try await Harness.make(.accessKey(secretKey: "wrong-secret-key-000000")) }) {
            harness async throws in
            let report = await harness.poll()
            #expect(report.failure?.kind == .authentication)
            let row = try #require(try harness.rows("SELECT * FROM polls").first)
            #expect(row.string("error_code") == "APIG.0301")
            #expect(
                row.string("error_message")?.hasPrefix(
                    "MetaStudio rejected the AK/SK: Incorrect IAM authentication information: verify aksk signature fail; no new attempt for 5m"
                ) == true)
            #expect(row.string("request_id")?.count == 32)
            #expect(row.int64("http_status") == 401)
            #expect(row.int64("ok") == 0)
            #expect(harness.log.text.contains("Huawei locks an AK/SK for 5 minutes"))
        }
    }

    @Test func timesAreStoredInUTCWhateverTheirFormatAndGarbageBecomesNullWithAWarning() async throws {
        // The simulator's clock stands still: its expiries (90 days from "now") are known to the second.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        try await withHarness({
            try await Harness.make(platforms: 5, timeZone: "Asia/Shanghai", simulatorClock: { now })
        }) { harness async throws in
            let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
            harness.update("p-0001") { $0.timeFormat = .dateTime(shanghai) }
            harness.update("p-0002") {
                $0.timeFormat = .literal("the 5th of never")
                $0.state = "UNAUTHORIZED"
            }
            harness.update("p-0003") { $0.timeFormat = .unixMilliseconds }
            harness.update("p-0004") { $0.timeFormat = .rfc3339Offset(seconds: 8 * 3_600) }
            harness.update("p-0005") { $0.state = nil }
            #expect(await harness.poll().succeeded)
            let rows = try harness.rows(
                "SELECT platform_id, expire_time, authorized_time, authorize_state FROM platform_authorizations ORDER BY platform_id"
            )
            #expect(rows.count == 5)
            let expected = Int64(now.timeIntervalSince1970) + 90 * 86_400
            for row in rows where ["p-0001", "p-0003", "p-0004"].contains(row.string("platform_id")) {
                #expect(row.int64("expire_time") == expected, "\(row.string("platform_id") ?? "")")
            }
            let garbage = try #require(rows.first { $0.string("platform_id") == "p-0002" })
            #expect(garbage["expire_time"] == .null)
            #expect(garbage["authorized_time"] == .null)
            let missing = try #require(rows.last)
            #expect(missing["authorize_state"] == .null)
            #expect(missing["expire_time"] == .null)
            #expect(
                harness.log.text.contains(
                    "<4>metastudio-cn4: platform p-0002: expire_time \"the 5th of never\" is not a time livewatch can read; stored as NULL"
                ))
            // The unreadable platform is still judged on its state; the one without authorization_info is not judged.
            #expect(harness.lines().map(Self.summary) == ["platform_unauthorized/p-0002/firing/critical"])
        }
    }

    @Test func onePollCommandStoresEveryPlatform() async throws {
        try await withFixture({ try await MetaStudioFixture.start(platforms: 250) }) { fixture in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let (reports, database) = try await pollOnce(
                .metaStudio(fixture.configuration), in: folder, transport: fixture.transport)
            #expect(reports.map(\.items) == [250])
            #expect(reports.first?.succeeded == true)
            let store = try Store(path: database)
            #expect(
                try store.accessSynchronously { try $0.scalarInt64("SELECT count(*) FROM platform_authorizations") }
                    == 250)
            store.close()
        }
    }

    @Test(arguments: [true, false])
    func noCredentialSignatureOrAuthKeyReachesTheDatabaseTheAlertLogOrTheLogs(signed: Bool) async throws {
        try await withHarness({
            try await Harness.make(signed ? .accessKey() : .token(), platforms: 120, failureThreshold: 1)
        }) { harness async throws in
            let simulation = harness.simulation
            var signatures: [String] = []
            func poll() async {
                await harness.poll()
                if let signature = simulation.lastSignature { signatures.append(signature) }
            }
            harness.update("p-0001") {
                $0.state = "UNAUTHORIZED"
                $0.expiresIn = 3_600
            }
            for fault in [nil, SimulatedFault.serverError, .html, .truncatedJSON, .connectionReset] as [SimulatedFault?]
            {
                if let fault { simulation.faults.inject(fault) }
                await poll()
            }
            harness.update("p-0002") { $0.authKey = "rotated-auth-key-\(UUID().uuidString)" }
            harness.update("p-0001") { $0.state = "AUTHORIZED" }
            await poll()
            simulation.throttle(count: 5)
            await poll()
            // The gateway rejects the credentials (a rotated SK, a revoked token): its answer must not echo anything secret.
            if signed {
                simulation.addAccessKey(MetaStudioFixture.accessKey, secretKey: "rotated-by-someone-else-123")
            } else {
                simulation.removeToken(MetaStudioFixture.token)
            }
            #expect(await harness.poll().failure?.kind == .authentication)
            if let signature = simulation.lastSignature { signatures.append(signature) }
            harness.store.close()

            var secrets = [MetaStudioFixture.accessKey, MetaStudioFixture.secretKey, MetaStudioFixture.token]
            secrets += simulation.platforms(project: Self.project).compactMap(\.authKey)
            secrets += signatures
            #expect(!signed || signatures.count >= 8)
            let haystacks = harness.writtenText()
            #expect(haystacks["alerts.log"]?.contains("platform_config_changed") == true)
            #expect(haystacks["log"]?.contains("poll failed") == true)
            #expect((haystacks["livewatch.db"]?.count ?? 0) + (haystacks["livewatch.db-wal"]?.count ?? 0) > 10_000)
            for (name, text) in haystacks {
                for secret in secrets {
                    #expect(!text.contains(secret), "a secret (\(secret.prefix(4))…) is in \(name)")
                }
            }
        }
    }

    /// A token with a line break inside (a file written with one) that reached the client anyway: the
    /// request is refused by header name; neither half of the token reaches `polls.error_message`, the
    /// `monitor_failing` line (what every notifier sends) or the log.
    @Test(arguments: ["\n", "\r"])
    func aTokenWithALineBreakFailsThePollWithoutQuotingIt(lineBreak: String) async throws {
        let first = "ctl-token-first-half-3b9e"
        let second = "ctl-token-second-half-a04f"
        let notifier = NotifierConfiguration(name: "ops", kind: .webhook, url: Secret("http://127.0.0.1:9/hook"))
        try await withHarness({
            try await Harness.make(
                .token(first + lineBreak + second), platforms: 2, failureThreshold: 1,
                policy: AlertPolicy(notifiers: [notifier]))
        }) { harness async throws in
            let report = await harness.poll()
            #expect(report.failure?.code == "transport")
            #expect(report.failure?.message.contains("header X-Auth-Token holds a control character") == true)
            let stored = try harness.rows("SELECT error_message FROM polls").compactMap { $0.string("error_message") }
            #expect(stored.count == 1 && stored[0].contains("X-Auth-Token"), "\(stored)")
            let failing = harness.lines().filter { $0["rule"] as? String == "monitor_failing" }
            #expect(failing.count == 1)
            // The line is queued for the notifier: its payload is in the database searched below.
            #expect(try harness.count("SELECT count(*) FROM notification_outbox WHERE notifier = 'ops'") == 1)
            harness.store.close()
            var haystacks = harness.writtenText()
            haystacks["error_message"] = stored.joined()
            for (name, text) in haystacks {
                #expect(!text.contains(first) && !text.contains(second), "a half of the token is in \(name)")
            }
        }
    }
}

/// The 5-minute wait after an authentication failure, through the daemon's real scheduler on a manual clock.
@Suite struct MetaStudioAuthenticationBackoffTests {
    @Test func aRejectedSecretKeyIsNotRetriedWithinFiveMinutes() async throws {
        try await withFixture({
            try await MetaStudioFixture.start(.accessKey(secretKey: "wrong-secret-key-111111"), platforms: 3)
        }) { fixture in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            var settings = folder.daemonSettings()
            settings.maxBackoff = 120
            var configuration = fixture.configuration
            configuration.poll = PollSettings(interval: 10, timeout: 5, jitter: 0.1)
            let daemon = RunningDaemon(
                Configuration(daemon: settings, monitors: [.metaStudio(configuration)]), transport: fixture.transport,
                random: 1)
            let (clock, events, log) = (daemon.clock, daemon.events, daemon.log)

            try await events.wait { _ in !clock.pendingDelays.isEmpty }
            clock.advance(by: 0)
            try await events.waitForFinishedPolls(1)
            #expect(events.finished.last?.1 == false)
            // Neither the interval (10 s) nor max_backoff (2 min) wins over the 5 minutes.
            #expect(events.finished.last?.2 == 300)
            #expect(fixture.metaStudio.counters.rejectedSignature == 1)
            #expect(log.text.contains("poll failed"))
            #expect(
                log.text.contains(
                    "no new attempt for 5m: Huawei locks an AK/SK for 5 minutes after more than 5 consecutive authentication failures"
                ))

            clock.advance(by: 299)
            #expect(fixture.metaStudio.counters.requests == 1)
            #expect(events.finished.count == 1)

            // Someone fixes the key in the console; the next attempt, 5 minutes after the first, succeeds.
            fixture.metaStudio.addAccessKey(MetaStudioFixture.accessKey, secretKey: "wrong-secret-key-111111")
            clock.advance(by: 1)
            try await events.waitForFinishedPolls(2)
            #expect(events.finished.last?.1 == true)
            #expect(fixture.metaStudio.counters.requests == 2)
            #expect(!fixture.metaStudio.isLocked(MetaStudioFixture.accessKey))

            try await daemon.stop()
        }
    }
}

extension PipelineHarness where Fixture == MetaStudioFixture {
    var simulation: MetaStudioSimulation { fixture.metaStudio }

    static func make(
        _ mode: MetaStudioFixture.Mode = .accessKey(), platforms: Int = 3, timeZone: String = "UTC",
        failureThreshold: Int = 3, policy: AlertPolicy = AlertPolicy(),
        simulatorClock: @escaping @Sendable () -> Date = Date.init
    ) async throws -> Self {
        let fixture = try await MetaStudioFixture.start(
            mode, platforms: platforms, timeZone: timeZone, simulatorClock: simulatorClock)
        return try Self(fixture, failureThreshold: failureThreshold, policy: policy, deadline: 30) { fixture, logger in
            let configuration = fixture.configuration
            return MonitorRuntime(
                configuration: .metaStudio(configuration),
                monitor: fixture.monitor(logger: logger),
                evaluator: MetaStudioEvaluator(
                    monitor: configuration.name, expiryWarning: configuration.expiryWarning,
                    expiryCritical: configuration.expiryCritical))
        }
    }

    func update(_ id: String, _ change: (inout MetaStudioSimulation.Platform) -> Void) {
        simulation.update(id, project: MetaStudioPipelineTests.project, change)
    }
}
