import Foundation
import Logging
import SQLite
import Synchronization

/// One poll end to end: poll with a deadline, store, evaluate, alert, log a line.
public struct PollPipeline: Sendable {
    public let recorder: PollRecorder
    let logger: Logger
    let clock: @Sendable () -> Date
    let storageAlarms = StorageAlarms()
    /// Told of every poll's end (with `daemon.listen`).
    var metrics: LiveWatchMetrics?

    public init(recorder: PollRecorder, logger: Logger, clock: @escaping @Sendable () -> Date = Date.init) {
        self.recorder = recorder
        self.logger = logger
        self.clock = clock
    }

    /// Polls `runtime` once. Never throws: every failure is recorded and returned.
    public func run(_ runtime: MonitorRuntime, deadline: Double) async -> (PollReport, [AlertLine], JobResult) {
        var report = await Self.withDeadline(deadline, runtime: runtime, clock: clock)
        var lines: [AlertLine] = []
        do {
            lines = try await recorder.record(report, evaluator: runtime.evaluator)
            if storageAlarms.clear(report.monitor) {
                writeDirectly(
                    AlertLine(
                        time: clock(), state: .resolved, severity: .critical, rule: .monitorFailing,
                        monitor: report.monitor,
                        subject: report.monitor, message: "polls of \(report.monitor) are stored again"))
            }
        } catch {
            // The observation is lost, but the daemon goes on: the poll counts as failed.
            let reason = (error as? SQLiteError)?.message ?? "\(error)"
            let failure = PollFailure(kind: .local, code: "storage", message: "cannot store the poll: \(reason)")
            logger.error("\(runtime.monitor.name): \(failure.message)")
            report.outcome = .failed(failure)
            // The database cannot hold the alert either: say it in the alert log directly, once.
            if storageAlarms.raise(report.monitor) {
                writeDirectly(
                    AlertLine(
                        time: clock(), state: .firing, severity: .critical, rule: .monitorFailing,
                        monitor: report.monitor,
                        subject: report.monitor,
                        message:
                            "livewatch cannot store polls of \(report.monitor) (\(reason)); observations are being lost"
                    ))
            }
        }
        log(report)
        metrics?.pollFinished(report)
        return (report, lines, JobResult(succeeded: report.succeeded, retryAfter: report.failure?.retryAfter))
    }

    func writeDirectly(_ line: AlertLine) {
        do {
            try recorder.alertLog.append(line.json)
        } catch {
            logger.critical("\(error)")
        }
    }

    func log(_ report: PollReport) {
        let duration = Int((report.finishedAt.timeIntervalSince(report.startedAt) * 1_000).rounded())
        var metadata: Logger.Metadata = [
            "monitor": "\(report.monitor)", "duration_ms": "\(duration)", "items": "\(report.items)",
            "requests": "\(report.requests)",
        ]
        if let failure = report.failure {
            metadata["outcome"] = "failed"
            metadata["error"] = "\(failure.description)"
            logger.warning("poll failed", metadata: metadata)
        } else {
            metadata["outcome"] = "ok"
            logger.info("poll ok", metadata: metadata)
        }
    }

    /// Runs the poll, giving up (and cancelling it) a little after its deadline.
    static func withDeadline(_ deadline: Double, runtime: MonitorRuntime, clock: @escaping @Sendable () -> Date) async
        -> PollReport
    {
        let started = clock()
        let monitor = runtime.monitor
        let grace = deadline + 2
        return await withTaskGroup(of: PollReport?.self) { group in
            group.addTask { await monitor.poll(deadline: deadline) }
            group.addTask {
                try? await EventLoopSleep.sleep(grace)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            return PollReport(
                monitor: monitor.name, vendor: monitor.vendor, startedAt: started, finishedAt: clock(), requests: 0,
                httpStatus: nil, requestID: nil,
                outcome: .failed(
                    PollFailure(
                        kind: .transport, code: "timeout",
                        message: "the poll did not finish within its \(DurationParser.format(deadline)) timeout")))
        }
    }
}

/// Monitors whose polls cannot currently be stored (disk full, read-only database).
final class StorageAlarms: Sendable {
    private let failing = Mutex<Set<String>>([])

    /// True the first time a monitor's poll cannot be stored.
    func raise(_ monitor: String) -> Bool { failing.withLock { $0.insert(monitor).inserted } }

    /// True when a monitor that could not store its polls now can.
    func clear(_ monitor: String) -> Bool { failing.withLock { $0.remove(monitor) != nil } }
}
