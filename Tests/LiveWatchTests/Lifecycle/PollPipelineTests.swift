import Foundation
import SQLite
import Testing
import VendorSimulator

@testable import LiveWatch

/// The foundation end to end: the real client against the simulator, a real
/// SQLite file and the real alert log.
@Suite struct PollPipelineTests {
    typealias Harness = PipelineHarness<PolyvFixture>

    @Test func storesAPollAndFiresThenResolvesTheConcurrencyAlert() async throws {
        try await withHarness({ try await Harness.make() }) { harness async throws in
            let polyv = harness.fixture.simulator.polyv
            let appID = PolyvFixture.appID

            #expect(await harness.poll().succeeded)
            #expect(try harness.count("SELECT count(*) FROM mr_concurrency") == 1)
            #expect(try harness.count("SELECT residual FROM mr_concurrency") == 3)
            #expect(try harness.count("SELECT count(*) FROM mr_channels") == 2)
            #expect(try harness.count("SELECT ok FROM polls") == 1)
            #expect(alertLogLines(harness.alertLogPath).isEmpty)

            polyv.setResidual(appID: appID, residual: 0)
            await harness.poll()
            var lines = alertLogLines(harness.alertLogPath)
            #expect(lines.count == 1)
            #expect(lines.last?["state"] as? String == "firing")
            #expect(lines.last?["severity"] as? String == "critical")
            #expect(lines.last?["rule"] as? String == "mr_concurrency_exhausted")
            #expect(lines.last?["subject"] as? String == "polyv-main")
            #expect(lines.last?["message"] as? String == "Polyv MR concurrency exhausted: 0 of 5 left")
            #expect(lines.last?["value"] as? Int == 0)

            // Still exhausted: no new line (repeat_interval is 6h).
            await harness.poll()
            #expect(alertLogLines(harness.alertLogPath).count == 1)

            polyv.setResidual(appID: appID, residual: 2)
            await harness.poll()
            lines = alertLogLines(harness.alertLogPath)
            #expect(lines.count == 2)
            #expect(lines.last?["severity"] as? String == "warning")

            polyv.setResidual(appID: appID, residual: 4)
            await harness.poll()
            lines = alertLogLines(harness.alertLogPath)
            #expect(lines.count == 3)
            #expect(lines.last?["state"] as? String == "resolved")
            #expect(try harness.count("SELECT count(*) FROM alerts WHERE state = 'resolved'") == 1)
            #expect(try harness.count("SELECT count(*) FROM alert_log_outbox") == 0)
        }
    }

    @Test func aFailingVendorFiresMonitorFailingAfterTheThresholdAndRecoveryResolvesIt() async throws {
        try await withHarness({ try await Harness.make(failureThreshold: 3) }) { harness async throws in
            let polyv = harness.fixture.simulator.polyv
            polyv.setResidual(appID: PolyvFixture.appID, residual: 0)
            await harness.poll()
            #expect(alertLogLines(harness.alertLogPath).count == 1)

            polyv.faults.setStanding(.serverError)
            for _ in 1...2 { await harness.poll() }
            #expect(alertLogLines(harness.alertLogPath).count == 1)
            await harness.poll()
            var lines = alertLogLines(harness.alertLogPath)
            #expect(lines.count == 2)
            #expect(lines.last?["rule"] as? String == "monitor_failing")
            #expect(lines.last?["severity"] as? String == "warning")
            #expect(lines.last?["value"] as? Int == 3)
            // The failed polls neither resolved nor repeated the concurrency alert: it is unknown.
            #expect(
                try harness.count(
                    "SELECT count(*) FROM alerts WHERE rule = 'mr_concurrency_exhausted' AND state = 'firing'") == 1)
            // A failed poll stores only its polls row, with the error.
            #expect(try harness.count("SELECT count(*) FROM mr_concurrency") == 1)
            #expect(
                try harness.count(
                    "SELECT count(*) FROM polls WHERE ok = 0 AND error_code = 'http_500' AND http_status = 500") == 3)

            polyv.faults.setStanding(nil)
            polyv.setResidual(appID: PolyvFixture.appID, residual: 3)
            #expect(await harness.poll().succeeded)
            lines = alertLogLines(harness.alertLogPath)
            let resolved = lines.suffix(2).map { "\($0["rule"] ?? "")/\($0["state"] ?? "")" }.sorted()
            #expect(resolved == ["monitor_failing/resolved", "mr_concurrency_exhausted/resolved"])
        }
    }

    @Test func aRestartNeitherRepeatsNorLosesAnAlert() async throws {
        try await withHarness({ try await Harness.make() }) { first async throws in
            first.fixture.simulator.polyv.setResidual(appID: PolyvFixture.appID, residual: 0)
            await first.poll()
            first.store.close()

            let second = try await Harness.make(existing: first.folder, fixture: first.fixture)
            await second.poll()
            #expect(alertLogLines(second.alertLogPath).count == 1)
            second.fixture.simulator.polyv.setResidual(appID: PolyvFixture.appID, residual: 5)
            await second.poll()
            let lines = alertLogLines(second.alertLogPath)
            #expect(lines.map { $0["state"] as? String } == ["firing", "resolved"])
            second.store.close()
        }
    }

    @Test func pendingOutboxLinesAreWrittenOnTheNextStart() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("livewatch.db"))
        let line = AlertLine(
            time: Date(timeIntervalSince1970: 1_800_000_000), state: .firing, severity: .warning,
            rule: .monitorFailing, monitor: "m", subject: "m", message: "left behind by a crash")
        try store.writeSynchronously { try PollRecorder.enqueue([line], at: Date(), in: $0) }
        let recorder = PollRecorder(
            store: store, alertLog: AlertLog(path: folder.file("alerts.log")), repeatInterval: 3_600,
            failureThreshold: 3, logger: CapturedLog().logger)
        await recorder.flushAlertLog()
        #expect(alertLogLines(folder.file("alerts.log")).first?["message"] as? String == "left behind by a crash")
        #expect(try store.accessSynchronously { try $0.scalarInt64("SELECT count(*) FROM alert_log_outbox") } == 0)
        store.close()
    }

    @Test func noSecretOrSignatureReachesTheDatabaseTheAlertLogOrTheLogs() async throws {
        try await withHarness({ try await Harness.make(failureThreshold: 1) }) { harness async throws in
            let polyv = harness.fixture.simulator.polyv
            var signatures: [String] = []
            polyv.setResidual(appID: PolyvFixture.appID, residual: 0)
            for fault in [nil, SimulatedFault.serverError, .html, .truncatedJSON, .connectionReset] as [SimulatedFault?]
            {
                if let fault { polyv.faults.inject(fault) }
                await harness.poll()
                if let query = polyv.lastQuery,
                    let sign = query.split(separator: "&").first(where: { $0.hasPrefix("sign=") })
                {
                    signatures.append(String(sign.dropFirst(5)))
                }
            }
            // A rejected signature too: the vendor's rejection must not echo anything secret.
            polyv.addApplication(appID: PolyvFixture.appID, secret: "rotated-by-someone-else", total: 5, used: 5)
            #expect(await harness.poll().failure?.kind == .authentication)
            if let query = polyv.lastQuery,
                let sign = query.split(separator: "&").first(where: { $0.hasPrefix("sign=") })
            {
                signatures.append(String(sign.dropFirst(5)))
            }
            harness.store.close()
            #expect(signatures.count == 6)
            let haystacks = harness.writtenText()
            #expect(haystacks["alerts.log"]?.isEmpty == false)
            for (name, text) in haystacks {
                #expect(!text.contains(PolyvFixture.secret), "the app secret is in \(name)")
                for signature in signatures {
                    #expect(!text.contains(signature), "a sign is in \(name)")
                }
            }
        }
    }
}

extension PipelineHarness where Fixture == PolyvFixture {
    /// A Polyv monitor (5 in all, 2 in use); a second harness may share the first one's folder and fixture.
    static func make(failureThreshold: Int = 3, existing folder: TemporaryFolder? = nil, fixture: PolyvFixture? = nil)
        async throws -> Self
    {
        let fixture = if let fixture { fixture } else { try await PolyvFixture.start(total: 5, used: 2) }
        return try Self(fixture, in: folder, failureThreshold: failureThreshold, deadline: 30) { fixture, _ in
            MonitorRuntime.make(.polyv(fixture.configuration), transport: fixture.transport)
        }
    }
}
