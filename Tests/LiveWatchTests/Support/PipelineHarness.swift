import Foundation
import Logging
import SQLite

@testable import LiveWatch

/// One monitor end to end: the real client against the simulator (`fixture`), a real SQLite file and the
/// real alert log in a temporary folder, joined by the daemon's own pipeline.
struct PipelineHarness<Fixture: ServerFixture>: TestHarness {
    let folder: TemporaryFolder
    let fixture: Fixture
    let store: Store
    let log: CapturedLog
    let pipeline: PollPipeline
    let runtime: MonitorRuntime
    /// Each poll's deadline; nil: the monitor's own (`pollDeadline`).
    let deadline: Double?

    var alertLogPath: String { folder.file("alerts.log") }

    /// Opens the database and the alert log in `folder` (a new one when nil); `runtime` makes the monitor's
    /// runtime from the fixture and the harness's logger.
    init(
        _ fixture: Fixture, in folder: TemporaryFolder? = nil, failureThreshold: Int = 3,
        policy: AlertPolicy = AlertPolicy(),
        deadline: Double? = nil, runtime: (Fixture, Logger) -> MonitorRuntime
    ) throws {
        let folder = try folder ?? TemporaryFolder()
        let store = try Store(path: folder.file("livewatch.db"))
        let log = CapturedLog()
        let recorder = PollRecorder(
            store: store, alertLog: AlertLog(path: folder.file("alerts.log")), repeatInterval: 6 * 3_600,
            failureThreshold: failureThreshold, logger: log.logger, policy: AlertPolicyBox(policy))
        self.folder = folder
        self.fixture = fixture
        self.store = store
        self.log = log
        self.pipeline = PollPipeline(recorder: recorder, logger: log.logger)
        self.runtime = runtime(fixture, log.logger)
        self.deadline = deadline
    }

    /// Polls once through the pipeline (the harness's monitor, or `runtime`) and returns the report.
    @discardableResult
    func poll(_ runtime: MonitorRuntime? = nil) async -> PollReport {
        let runtime = runtime ?? self.runtime
        return await pipeline.run(runtime, deadline: deadline ?? runtime.configuration.pollDeadline).0
    }

    func count(_ sql: String, _ arguments: [any SQLiteBindable] = []) throws -> Int64 {
        try store.accessSynchronously { try $0.scalarInt64(sql, arguments) ?? -1 }
    }

    func rows(_ sql: String) throws -> [Row] {
        try store.accessSynchronously { try $0.query(sql) }
    }

    /// The alert log's lines (of `rule` only, if given).
    func lines(rule: String? = nil) -> [[String: Any]] {
        alertLogLines(alertLogPath).filter { rule == nil || $0["rule"] as? String == rule }
    }

    /// Where a secret must never be found: the captured log, and the database, its WAL and the alert log as
    /// they are on disk (close the store first), by name; a file that does not exist is left out.
    func writtenText() -> [String: String] {
        var texts = ["log": log.text]
        for file in ["livewatch.db", "livewatch.db-wal", "alerts.log"] {
            if let data = FileManager.default.contents(atPath: folder.file(file)) {
                texts[file] = String(decoding: data, as: UTF8.self)
            }
        }
        return texts
    }

    func finish() async {
        store.close()
        await fixture.stop()
        folder.remove()
    }
}

extension TemporaryFolder {
    /// Daemon settings that keep the database and the alert log in this folder.
    func daemonSettings(database: String = "livewatch.db", alertLog: String = "alerts.log") -> DaemonSettings {
        var settings = DaemonSettings()
        settings.database = file(database)
        settings.alertLog = file(alertLog)
        return settings
    }
}

/// What `livewatch poll` runs: one poll of `monitor`, stored in a database in `folder`. Returns the reports
/// and the database's path.
func pollOnce(
    _ monitor: MonitorConfiguration, in folder: TemporaryFolder, transport: any HTTPTransport
) async throws -> (reports: [PollReport], database: String) {
    let settings = folder.daemonSettings()
    let reports = try await Daemon.pollOnce(
        configuration: Configuration(daemon: settings, monitors: [monitor]), names: [], logger: CapturedLog().logger,
        transport: transport)
    return (reports, settings.database)
}
