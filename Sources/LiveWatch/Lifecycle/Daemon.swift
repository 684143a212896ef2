import Foundation
import Logging

/// What the daemon is asked to do from outside.
public enum DaemonSignal: Sendable {
    /// SIGTERM or SIGINT: stop cleanly.
    case stop
    /// SIGHUP: reload the configuration and reopen the alert log.
    case reload
}

/// The long-running daemon: opens storage, arms one timer per monitor, and
/// shuts down in reverse order.
///
/// Start order: database (migrated), alert log (pending lines flushed),
/// HTTP client, notification sender, monitors, timers. Stop order: timers,
/// in-flight polls (finished or abandoned within `shutdown_timeout`), alert log
/// flush, notification sender (its last pass bounded by `shutdown_timeout`),
/// HTTP client, database last.
public final class Daemon: Sendable {
    public let configuration: Configuration
    let logger: Logger
    let clock: any SchedulerClock
    let transport: (any HTTPTransport)?
    let observer: @Sendable (SchedulerEvent) -> Void
    let random: @Sendable () -> Double
    let notifier: SystemdNotifier
    let reloadConfiguration: (@Sendable () throws -> Configuration)?
    let notificationObserver: @Sendable (NotificationEvent) -> Void

    /// - Parameters:
    ///   - transport: nil for the production AsyncHTTPClient transport (owned and shut down by the daemon).
    ///   - notifier: systemd notification (READY, RELOADING, STOPPING, WATCHDOG); disabled by default.
    ///   - reloadConfiguration: reads the configuration again on SIGHUP; nil keeps the first one.
    ///   - observer: told of every poll's start and finish.
    ///   - notificationObserver: told of every notification delivered, retried or given up.
    public init(
        configuration: Configuration, logger: Logger, clock: any SchedulerClock = DispatchSchedulerClock(),
        transport: (any HTTPTransport)? = nil,
        notifier: SystemdNotifier = SystemdNotifier(environment: [:]),
        reloadConfiguration: (@Sendable () throws -> Configuration)? = nil,
        random: @escaping @Sendable () -> Double = { Double.random(in: -1...1) },
        observer: @escaping @Sendable (SchedulerEvent) -> Void = { _ in },
        notificationObserver: @escaping @Sendable (NotificationEvent) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.transport = transport
        self.notifier = notifier
        self.reloadConfiguration = reloadConfiguration
        self.random = random
        self.observer = observer
        self.notificationObserver = notificationObserver
    }

    /// Runs until `signals` yields `.stop` (or ends).
    public func run(signals: AsyncStream<DaemonSignal>) async throws {
        // A log line to a broken stderr pipe (or any write to a closed socket) must fail, not kill the daemon.
        StandardStream.ignoreBrokenPipes()
        let store = try Store(path: configuration.daemon.database)
        let alertLog = AlertLog(path: configuration.daemon.alertLog)
        let policy = AlertPolicyBox(AlertPolicy(configuration: configuration))
        await makeRecorder(store: store, alertLog: alertLog, settings: configuration.daemon, policy: policy).flushAlertLog()
        let ownedTransport = transport == nil ? AsyncHTTPTransport() : nil
        let http: any HTTPTransport = transport ?? ownedTransport ?? AsyncHTTPTransport()
        let sender = NotificationSender(
            store: store, transport: http, clock: clock, policy: policy, logger: logger, observer: notificationObserver)
        sender.start()
        var running = configuration
        var jobs = makeJobs(running, store: store, alertLog: alertLog, transport: http, policy: policy, sender: sender)
        let scheduler = MonitorScheduler(clock: clock, jobs: jobs, random: random, observer: observer)
        scheduler.start()
        let heartbeat = startWatchdog(scheduler)
        let pruning = startPruning(store: store, policy: RetentionPolicy(configuration.daemon), interval: configuration.daemon.pruneInterval)
        notifier.ready(status: "polling \(jobs.count) monitor(s)")
        logger.info(
            "livewatch started",
            metadata: [
                "version": "\(LiveWatchVersion.current)", "monitors": "\(jobs.count)",
                "database": "\(configuration.daemon.database)", "notifiers": "\(configuration.notifiers.count)",
            ])
        for await signal in signals {
            if case .stop = signal { break }
            notifier.reloading()
            alertLog.reopen()
            if let next = reloaded(from: running) {
                policy.update(AlertPolicy(configuration: next))
                sender.wake()
                let nextJobs = makeJobs(next, store: store, alertLog: alertLog, transport: http, policy: policy, sender: sender)
                apply(nextJobs, replacing: jobs, old: running, new: next, scheduler: scheduler)
                running = next
                jobs = nextJobs
            }
            notifier.reloaded(status: "polling \(jobs.count) monitor(s)")
        }
        notifier.stopping()
        heartbeat?.cancel()
        pruning.timer.cancel()
        logger.info("stopping: timers stopped, waiting for polls in flight")
        let abandoned = await scheduler.stop(deadline: running.daemon.shutdownTimeout)
        await pruning.stop()
        if !abandoned.isEmpty {
            logger.warning("abandoned polls still running at the shutdown deadline", metadata: ["monitors": "\(abandoned)"])
        }
        await makeRecorder(store: store, alertLog: alertLog, settings: running.daemon, policy: policy).flushAlertLog()
        await sender.stop(deadline: running.daemon.shutdownTimeout)
        await ownedTransport?.shutdown()
        store.close()
        logger.info("livewatch stopped")
    }

    func makeRecorder(store: Store, alertLog: AlertLog, settings: DaemonSettings, policy: AlertPolicyBox) -> PollRecorder {
        PollRecorder(
            store: store, alertLog: alertLog, repeatInterval: settings.repeatInterval,
            failureThreshold: settings.failureThreshold, logger: logger, policy: policy)
    }

    func makeJobs(
        _ configuration: Configuration, store: Store, alertLog: AlertLog, transport: any HTTPTransport,
        policy: AlertPolicyBox, sender: NotificationSender
    ) -> [ScheduledJob] {
        let clock = self.clock
        let now: @Sendable () -> Date = { clock.now() }
        let recorder = makeRecorder(store: store, alertLog: alertLog, settings: configuration.daemon, policy: policy)
        let pipeline = PollPipeline(recorder: recorder, logger: logger, clock: now)
        return configuration.monitors.map { monitorConfiguration in
            let runtime = MonitorRuntime.make(monitorConfiguration, transport: transport, clock: now)
            let poll = monitorConfiguration.poll
            return ScheduledJob(
                name: monitorConfiguration.name,
                policy: BackoffPolicy(
                    interval: poll.interval, jitter: poll.jitter, maximumBackoff: configuration.daemon.maxBackoff),
                timeout: monitorConfiguration.pollDeadline
            ) { deadline in
                let (_, lines, result) = await pipeline.run(runtime, deadline: deadline)
                // New lines may mean new notifications: the sender runs on its own timer, never in the poll's way.
                if !lines.isEmpty { sender.wake() }
                return result
            }
        }
    }

    /// The new configuration, or nil (with every problem logged) to keep the running one.
    func reloaded(from running: Configuration) -> Configuration? {
        guard let reloadConfiguration else {
            logger.info("SIGHUP: the alert log will be reopened on its next line")
            return nil
        }
        do {
            let next = try reloadConfiguration()
            for warning in next.warnings { logger.warning("configuration: \(warning)") }
            if next.daemon.database != running.daemon.database || next.daemon.alertLog != running.daemon.alertLog {
                logger.warning("SIGHUP: daemon.database and daemon.alert_log changes take effect after a restart")
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

    /// Starts added and changed monitors, stops removed ones; alert state lives in the database, so nothing is lost.
    func apply(_ nextJobs: [ScheduledJob], replacing jobs: [ScheduledJob], old: Configuration, new: Configuration, scheduler: MonitorScheduler) {
        let oldMonitors = Dictionary(old.monitors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let newNames = Set(new.monitors.map(\.name))
        var daemonSettings = new.daemon
        daemonSettings.database = old.daemon.database
        daemonSettings.alertLog = old.daemon.alertLog
        let everythingChanged = daemonSettings != old.daemon
        var added: [String] = [], changed: [String] = [], removed: [String] = []
        for name in oldMonitors.keys.sorted() where !newNames.contains(name) {
            scheduler.remove(name)
            removed.append(name)
        }
        for (job, monitor) in zip(nextJobs, new.monitors) {
            if let previous = oldMonitors[monitor.name] {
                guard everythingChanged || previous != monitor else { continue }
                changed.append(monitor.name)
            } else {
                added.append(monitor.name)
            }
            scheduler.add(job, firstPollAfter: 0)
        }
        logger.info(
            "SIGHUP: configuration reloaded",
            metadata: [
                "added": "\(added.joined(separator: ","))", "changed": "\(changed.joined(separator: ","))",
                "removed": "\(removed.joined(separator: ","))",
            ])
    }

    /// Prunes history on its own timer: first a minute after start, then every `interval`.
    /// A pass never overlaps the previous one; each batch is a short transaction, so polls are never stalled.
    func startPruning(store: Store, policy: RetentionPolicy, interval: Double) -> PruningHandle {
        let handle = PruningHandle()
        let clock = self.clock
        let logger = self.logger
        let retention = Retention(policy: policy)
        let timer = clock.makeTimer(label: "retention") {
            guard handle.begin() else { return }
            let task = Task {
                do {
                    let summary = try await retention.prune(store: store, now: clock.now())
                    if summary.totalDeleted > 0 {
                        logger.info(
                            "pruned history",
                            metadata: [
                                "rows": "\(summary.totalDeleted)", "batches": "\(summary.batches)",
                                "pages_freed": "\(summary.pagesFreed)",
                                "longest_batch_ms": "\(Int(summary.longestBatch * 1_000))",
                            ])
                    }
                } catch {
                    logger.error("pruning failed: \(error)")
                }
                handle.end()
                handle.timer.schedule(after: interval)
            }
            handle.track(task)
        }
        handle.timer = timer
        timer.schedule(after: min(60, interval))
        return handle
    }

    /// Feeds systemd's watchdog from the scheduler's health, on the scheduler's own clock and queue,
    /// so a stuck scheduler stops the pings and systemd restarts the service.
    func startWatchdog(_ scheduler: MonitorScheduler) -> (any SchedulerTimer)? {
        guard let interval = notifier.watchdogInterval else { return nil }
        let clock = self.clock
        let notifier = self.notifier
        let logger = self.logger
        let period = max(0.5, interval / 2)
        let timerBox = TimerBox()
        let timer = clock.makeTimer(label: "watchdog") {
            if scheduler.isHealthy(now: clock.now()) {
                notifier.watchdog()
            } else {
                logger.error("a poll is stuck past its deadline: withholding the watchdog ping")
            }
            timerBox.timer?.schedule(after: period)
        }
        timerBox.timer = timer
        timer.schedule(after: period)
        return timer
    }

    /// Polls each (or each named) monitor once, stores and evaluates as the daemon would.
    public static func pollOnce(
        configuration: Configuration, names: [String], logger: Logger, transport: (any HTTPTransport)? = nil
    ) async throws -> [PollReport] {
        let selected = names.isEmpty
            ? configuration.monitors : configuration.monitors.filter { names.contains($0.name) }
        let unknown = names.filter { name in !configuration.monitors.contains { $0.name == name } }
        guard unknown.isEmpty else {
            throw ConfigurationError(path: "--monitor", problems: unknown.map {
                ConfigurationProblem(line: nil, owner: $0, key: "", message: "no monitor of that name in the configuration")
            })
        }
        let store = try Store(path: configuration.daemon.database)
        defer { store.close() }
        let policy = AlertPolicyBox(AlertPolicy(configuration: configuration))
        let recorder = PollRecorder(
            store: store, alertLog: AlertLog(path: configuration.daemon.alertLog),
            repeatInterval: configuration.daemon.repeatInterval,
            failureThreshold: configuration.daemon.failureThreshold, logger: logger, policy: policy)
        await recorder.flushAlertLog()
        let ownedTransport = transport == nil ? AsyncHTTPTransport() : nil
        let http: any HTTPTransport = transport ?? ownedTransport ?? AsyncHTTPTransport()
        let pipeline = PollPipeline(recorder: recorder, logger: logger)
        var reports: [PollReport] = []
        await withTaskGroup(of: (Int, PollReport).self) { group in
            for (index, monitorConfiguration) in selected.enumerated() {
                let runtime = MonitorRuntime.make(monitorConfiguration, transport: http)
                group.addTask {
                    (index, await pipeline.run(runtime, deadline: monitorConfiguration.pollDeadline).0)
                }
            }
            var collected: [(Int, PollReport)] = []
            for await item in group { collected.append(item) }
            reports = collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        if !configuration.notifiers.isEmpty {
            // Deliver what these polls (or earlier runs) queued; what fails stays queued for the daemon.
            let sender = NotificationSender(
                store: store, transport: http, clock: DispatchSchedulerClock(), policy: policy, logger: logger)
            await sender.drainOnce()
        }
        await ownedTransport?.shutdown()
        return reports
    }
}

/// Lets a timer's handler re-arm the timer that calls it.
final class TimerBox: @unchecked Sendable {
    // @unchecked: written once, before the timer is first armed; only read afterwards.
    var timer: (any SchedulerTimer)?
}

/// The pruning timer and its pass in flight, if any.
final class PruningHandle: @unchecked Sendable {
    // @unchecked: `timer` is set once before arming; the rest is guarded by `lock`.
    var timer: any SchedulerTimer = NoTimer()
    private let lock = NSLock()
    private var running = false
    private var task: Task<Void, Never>?

    func begin() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if running { return false }
        running = true
        return true
    }

    func end() {
        lock.lock()
        running = false
        lock.unlock()
    }

    func track(_ task: Task<Void, Never>) {
        lock.lock()
        self.task = task
        lock.unlock()
    }

    /// Waits for a pass in flight (batches are short).
    func stop() async {
        timer.cancel()
        let task = lock.withLock { self.task }
        await task?.value
    }
}

/// A timer that never fires.
struct NoTimer: SchedulerTimer {
    func schedule(after seconds: Double) {}
    func cancel() {}
}
