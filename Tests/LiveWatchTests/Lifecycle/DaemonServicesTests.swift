import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import LiveWatch

/// The daemon's parts as services: the order a `ServiceGroup` starts and stops them in, the
/// reload diff, and the group's deadline.
@Suite struct DaemonServicesTests {
    /// Starts and stops, in the order they happened.
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])

        func append(_ entry: String) { entries.withLock { $0.append(entry) } }

        var all: [String] { entries.withLock { $0 } }

        /// Waits (up to `timeout` real seconds) until `condition` holds over the entries.
        func wait(timeout: Double = 60, until condition: ([String]) -> Bool) async throws {
            try await waitUntil(timeout: timeout) { condition(all) }
        }
    }

    /// A part that journals its start and stop; the first one's start waits for `gate`.
    struct Part: DaemonService {
        let name: String
        let journal: Journal
        let gate: ServiceStartOrder.StartLatch?

        var description: String { name }

        func start() async {
            if let gate {
                journal.append("held \(name)")
                await gate.wait()
            }
            journal.append("start \(name)")
        }

        func stop() async {
            // A stop that takes a moment: the next part must still wait for it.
            for _ in 0..<10 { await Task.yield() }
            journal.append("stop \(name)")
        }
    }

    @Test func partsStartOneAfterAnotherInListOrderAndStopInReverse() async throws {
        let journal = Journal()
        let gate = ServiceStartOrder.StartLatch()
        let names = ["sender", "scheduler", "pruner", "systemd", "reload"]
        let parts = names.enumerated().map { index, name in
            Part(name: name, journal: journal, gate: index == 0 ? gate : nil)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: ServiceStartOrder.configurations(parts), logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        // The first part is held in its start; the others have every chance to run and must not start.
        try await journal.wait { $0 == ["held sender"] }
        for _ in 0..<1_000 { await Task.yield() }
        #expect(journal.all == ["held sender"])
        gate.open()
        try await journal.wait { $0.count == names.count + 1 }
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(journal.all == ["held sender"] + names.map { "start \($0)" } + names.reversed().map { "stop \($0)" })
    }

    @Test func aPartRunOnItsOwnStartsAndStopsWhenCancelled() async throws {
        let journal = Journal()
        let part = Part(name: "alone", journal: journal, gate: nil)
        let running = Task { try await part.run() }
        try await journal.wait { $0 == ["start alone"] }
        running.cancel()
        try await running.value
        #expect(journal.all == ["start alone", "stop alone"])
    }

    func configuration(_ monitors: [String], interval: Double = 10, settings: DaemonSettings = DaemonSettings()) throws
        -> Configuration
    {
        let endpoint = try #require(URL(string: "http://127.0.0.1:9"))
        return Configuration(
            daemon: settings,
            monitors: monitors.map { name in
                .polyv(
                    PolyvMonitorConfiguration(
                        name: name, appID: "app", appSecret: Secret("secret"), endpoint: endpoint,
                        poll: PollSettings(interval: interval, timeout: 5, jitter: 0)))
            })
    }

    @Test func aReloadPlanAddsChangesAndRemovesByName() throws {
        let old = try configuration(["keep", "change", "drop"])
        var new = try configuration(["added", "keep", "change"])
        new.monitors[2] = try configuration(["change"], interval: 30).monitors[0]
        let plan = ReloadPlan(from: old, to: new)
        #expect(plan.added == ["added"])
        #expect(plan.changed == ["change"])
        #expect(plan.removed == ["drop"])
        #expect(plan.starts("added") && plan.starts("change") && !plan.starts("keep") && !plan.starts("drop"))
    }

    @Test func aChangeToTheDaemonsSettingsRestartsEveryMonitorButItsFilesNeedARestart() throws {
        let old = try configuration(["a", "b"])
        var settings = DaemonSettings()
        settings.database = "/elsewhere/livewatch.db"
        settings.alertLog = "/elsewhere/alerts.log"
        #expect(
            ReloadPlan(from: old, to: try configuration(["a", "b"], settings: settings))
                == ReloadPlan(from: old, to: old))
        settings.maxBackoff = 60
        let plan = ReloadPlan(from: old, to: try configuration(["a", "b"], settings: settings))
        #expect(plan.changed == ["a", "b"])
        #expect(plan.added.isEmpty && plan.removed.isEmpty)
    }

    @Test func theGroupsDeadlineCoversThePollsAndTheSendersLastPass() {
        var settings = DaemonSettings()
        #expect(Daemon.gracefulShutdownDeadline(settings) == .seconds(25))
        settings.shutdownTimeout = 1.5
        #expect(Daemon.gracefulShutdownDeadline(settings) == .seconds(8))
    }

    @Test func anEndedSignalStreamStopsTheDaemonAndClosesWhatItOpened() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let settings = folder.daemonSettings()
        let daemon = RunningDaemon(try configuration(["quiet"], settings: settings), transport: UnusedTransport())
        let (clock, log) = (daemon.clock, daemon.log)
        try await log.waitFor("livewatch started")
        #expect(Set(clock.pendingTimers.map(\.label)) == ["quiet", "retention"])
        daemon.control.finish()
        try await daemon.task.value
        #expect(log.text.contains("livewatch stopped"))
        #expect(clock.pendingTimers.isEmpty)
        // The database was closed: its last connection gone, SQLite checkpointed and removed the WAL.
        #expect(FileManager.default.fileExists(atPath: settings.database))
        #expect(!FileManager.default.fileExists(atPath: settings.database + "-wal"))
    }
}
