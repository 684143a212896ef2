import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// A silence added with the built `livewatch silence add` while the daemon runs (in this process, on a manual
/// clock, against the Polyv simulator and a webhook receiver) takes effect at the next poll without a reload, and
/// `silence expire` ends it just as fast.
@Suite struct DaemonSilenceTests {
    @Test func aFiringAlertsRepeatsStopAfterSilenceAddAndResumeAfterSilenceExpire() async throws {
        try await withFixture({ try await PolyvFixture.start(total: 5, used: 5) }) { polyv in
            try await withFixture({ try await ReceiverFixture.start() }) { receivers in
                let folder = try TemporaryFolder()
                defer { folder.remove() }
                var settings = folder.daemonSettings()
                settings.repeatInterval = 60
                var monitor = polyv.configuration
                // A generous timeout: a loaded machine must not turn the firing into a failed poll.
                monitor.poll = PollSettings(interval: 60, timeout: 10, jitter: 0)
                let configuration = Configuration(
                    daemon: settings, monitors: [.polyv(monitor)], notifiers: [receivers.configuration(.webhook)])
                let daemon = RunningDaemon(configuration, transport: polyv.transport)
                // The daemon stops before the fixtures whatever happens: a failed wait must not leave it running.
                do {
                    try await scenario(daemon, receivers: receivers, settings: settings, folder: folder)
                } catch {
                    try? await daemon.stop()
                    throw error
                }
                try await daemon.stop()
            }
        }
    }

    func scenario(
        _ daemon: RunningDaemon, receivers: ReceiverFixture, settings: DaemonSettings, folder: TemporaryFolder
    ) async throws {
        let (clock, events) = (daemon.clock, daemon.events)
        func webhooks() -> Int { receivers.receiver.received(.webhook).count }
        /// Lets the notification sender's due passes run until `count` webhooks have arrived.
        func waitForWebhooks(_ count: Int) async throws {
            try await waitUntil(timeout: 20, every: 0.02) {
                clock.advance(by: 0)
                return webhooks() >= count
            }
        }
        func exhaustedLines() -> [[String: Any]] {
            alertLogLines(settings.alertLog).filter { $0["rule"] as? String == "mr_concurrency_exhausted" }
        }

        // Poll 1: residual 0, the alert fires and reaches the webhook.
        try await events.wait { _ in !clock.pendingDelays.isEmpty }
        clock.advance(by: 0)
        try await events.waitForFinishedPolls(1)
        try await waitForWebhooks(1)
        #expect(exhaustedLines().count == 1)

        // Silenced from the command line, against the running daemon's database (with --database: the
        // monitors are those it holds).
        let add = try await runLivewatch([
            "silence", "add", "--database", settings.database, "--monitor", "polyv-main", "--rule",
            "mr_concurrency_exhausted", "--for", "2h", "--comment", "known: the account is being upgraded",
        ])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.hasPrefix("silence 1 added: monitor polyv-main, rule mr_concurrency_exhausted"))
        let alerts = try await runLivewatch(["alerts", "--config", try writeConfig(folder, settings)])
        #expect(alerts.stdout.contains("firing (silenced by id 1)"), "\(alerts.stdout) \(alerts.stderr)")

        // Poll 2, a repeat interval later: the repeat is written, marked silenced, and queued for no one.
        clock.advance(by: 60)
        try await events.waitForFinishedPolls(2)
        var lines = exhaustedLines()
        #expect(lines.count == 2)
        #expect(lines.last?["silenced"] as? Bool == true)
        let reader = try Database(
            path: settings.database, options: .init(readOnly: true, journalModeWAL: false))
        #expect(try reader.scalarInt64("SELECT count(*) FROM notification_outbox") == 0)

        // Expired from the command line: poll 3's repeat goes out again.
        let expire = try await runLivewatch(["silence", "expire", "--database", settings.database, "1"])
        #expect(expire.status == 0, "\(expire.stderr)")
        clock.advance(by: 60)
        try await events.waitForFinishedPolls(3)
        lines = exhaustedLines()
        #expect(lines.count == 3)
        #expect(lines.last?["silenced"] == nil)
        try await waitForWebhooks(2)
        // Poll 1's firing and poll 3's repeat: poll 2's never went out.
        #expect(webhooks() == 2)
    }

    /// A configuration file for `livewatch alerts` naming this daemon's database (no monitor needed).
    func writeConfig(_ folder: TemporaryFolder, _ settings: DaemonSettings) throws -> String {
        let path = folder.file("alerts.yaml")
        try Data("daemon:\n  database: \(settings.database)\n".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
