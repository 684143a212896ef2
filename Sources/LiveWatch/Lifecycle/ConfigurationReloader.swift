import Logging
import Synchronization

/// SIGHUP: tells systemd RELOADING, reopens the alert log, reads the configuration again and,
/// if it is valid, applies it (alert policy, notifiers, the monitors that a `ReloadPlan` restarts),
/// then tells systemd READY. An invalid file is logged problem by problem and the running
/// configuration stays. Holds the running configuration for the other services.
final class ConfigurationReloader: Sendable {
    private let running: Mutex<Configuration>
    let read: (@Sendable () throws -> Configuration)?
    let runtime: DaemonRuntime
    let scheduler: MonitorScheduler
    let notifier: SystemdNotifier
    let logger: Logger

    /// - Parameter read: reads the configuration again; nil keeps the first one (SIGHUP then only reopens the alert log).
    init(
        _ configuration: Configuration, read: (@Sendable () throws -> Configuration)?, runtime: DaemonRuntime,
        scheduler: MonitorScheduler, notifier: SystemdNotifier, logger: Logger
    ) {
        running = Mutex(configuration)
        self.read = read
        self.runtime = runtime
        self.scheduler = scheduler
        self.notifier = notifier
        self.logger = logger
    }

    /// The configuration running now.
    var current: Configuration { running.withLock { $0 } }

    /// Handles one SIGHUP.
    func reload() {
        notifier.reloading()
        runtime.alertLog.reopen()
        let old = current
        if let next = reloaded(from: old) {
            runtime.policy.update(AlertPolicy(configuration: next))
            runtime.sender.wake()
            apply(ReloadPlan(from: old, to: next), jobs: runtime.makeJobs(next), monitors: next.monitors)
            running.withLock { $0 = next }
        }
        notifier.reloaded(status: "polling \(current.monitors.count) monitor(s)")
    }

    /// The new configuration, or nil (with every problem logged) to keep the running one.
    func reloaded(from running: Configuration) -> Configuration? {
        guard let read else {
            logger.info("SIGHUP: the alert log will be reopened on its next line")
            return nil
        }
        do {
            let next = try read()
            for warning in next.warnings { logger.warning("configuration: \(warning)") }
            if next.daemon.database != running.daemon.database || next.daemon.alertLog != running.daemon.alertLog {
                logger.warning("SIGHUP: daemon.database and daemon.alert_log changes take effect after a restart")
            }
            if next.daemon.listen != running.daemon.listen {
                logger.warning(
                    "SIGHUP: a daemon.listen change takes effect after a restart; the listener stays as it is")
            }
            return next
        } catch let error as ConfigurationError {
            for problem in error.problems { logger.error("SIGHUP: \(error.path): \(problem)") }
            logger.error("SIGHUP: the new configuration is invalid; still running the previous one")
            return nil
        } catch {
            logger.error("SIGHUP: cannot reload the configuration (\(error)); still running the previous one")
            return nil
        }
    }

    /// Stops removed monitors, then starts added and changed ones (first poll at once).
    func apply(_ plan: ReloadPlan, jobs: [ScheduledJob], monitors: [MonitorConfiguration]) {
        for name in plan.removed { scheduler.remove(name) }
        for (job, monitor) in zip(jobs, monitors) where plan.starts(monitor.name) {
            scheduler.add(job, firstPollAfter: 0)
        }
        logger.info(
            "SIGHUP: configuration reloaded",
            metadata: [
                "added": "\(plan.added.joined(separator: ","))", "changed": "\(plan.changed.joined(separator: ","))",
                "removed": "\(plan.removed.joined(separator: ","))",
            ])
    }
}
