import Foundation
import Testing

@testable import LiveWatch

/// The daemon itself, its timers driven by a manual clock.
@Suite struct DaemonTests {
    @Test func pollsOnItsTimersAndStopsCleanlyOnSignal() async throws {
        try await withFixture({ try await PolyvFixture.start(total: 5, used: 2) }) { fixture in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            var daemonSettings = folder.daemonSettings(database: "state/livewatch.db", alertLog: "log/alerts.log")
            daemonSettings.failureThreshold = 2
            let configuration = Configuration(daemon: daemonSettings, monitors: [.polyv(fixture.configuration)])
            let daemon = RunningDaemon(configuration, transport: fixture.transport)
            let (clock, events, log, control) = (daemon.clock, daemon.events, daemon.log, daemon.control)

            // The first poll happens at start.
            try await events.wait { _ in !clock.pendingDelays.isEmpty }
            clock.advance(by: 0)
            try await events.waitForFinishedPolls(1)
            #expect(events.finished.last?.1 == true)
            #expect(events.finished.last?.2 == 1)

            // The vendor fails: backoff doubles, monitor_failing fires at the threshold.
            fixture.simulator.polyv.faults.setStanding(.serverError)
            clock.advance(by: 1)
            try await events.waitForFinishedPolls(2)
            clock.advance(by: 1)
            try await events.waitForFinishedPolls(3)
            #expect(events.finished.map(\.2) == [1, 1, 2])
            #expect(alertLogLines(daemonSettings.alertLog).last?["rule"] as? String == "monitor_failing")

            fixture.simulator.polyv.faults.setStanding(nil)
            clock.advance(by: 2)
            try await events.waitForFinishedPolls(4)
            #expect(alertLogLines(daemonSettings.alertLog).last?["state"] as? String == "resolved")

            control.yield(.reload)
            try await daemon.stop()
            #expect(log.text.contains("livewatch stopped"))
            #expect(clock.pendingDelays.isEmpty)
        }
    }
}
