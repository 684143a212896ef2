import Foundation
import Logging

/// What the daemon is asked to do from outside.
public enum DaemonSignal: Sendable {
    /// SIGTERM or SIGINT: stop cleanly.
    case stop
    /// SIGHUP: reopen the alert log.
    case reload
}

/// The long-running daemon: opens storage, arms one timer per monitor, and
/// shuts down in reverse order.
///
/// Start order: database (migrated), alert log (pending lines flushed),
/// HTTP client, monitors, timers. Stop order: timers, in-flight polls
/// (finished or abandoned within `shutdown_timeout`), alert log flush, HTTP
/// client, database last.
public final class Daemon: Sendable {
    public let configuration: Configuration
    let logger: Logger
    let clock: any SchedulerClock
    let transport: (any HTTPTransport)?
    let observer: @Sendable (SchedulerEvent) -> Void
    let random: @Sendable () -> Double

    /// - Parameters:
    ///   - transport: nil for the production AsyncHTTPClient transport (owned and shut down by the daemon).
    ///   - observer: told of every poll's start and finish.
    public init(
        configuration: Configuration, logger: Logger, clock: any SchedulerClock = DispatchSchedulerClock(),
        transport: (any HTTPTransport)? = nil,
        random: @escaping @Sendable () -> Double = { Double.random(in: -1...1) },
        observer: @escaping @Sendable (SchedulerEvent) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.transport = transport
        self.random = random
        self.observer = observer
    }

    /// Runs until `signals` yields `.stop` (or ends).
    public func run(signals: AsyncStream<DaemonSignal>) async throws {
        let store = try Store(path: configuration.daemon.database)
        let alertLog = AlertLog(path: configuration.daemon.alertLog)
        let recorder = PollRecorder(
            store: store, alertLog: alertLog, repeatInterval: configuration.daemon.repeatInterval,
            failureThreshold: configuration.daemon.failureThreshold, logger: logger)
        await recorder.flushAlertLog()
        let ownedTransport = transport == nil ? AsyncHTTPTransport() : nil
        let http: any HTTPTransport = transport ?? ownedTransport ?? AsyncHTTPTransport()
        let clock = self.clock
        let now: @Sendable () -> Date = { clock.now() }
        let pipeline = PollPipeline(recorder: recorder, logger: logger, clock: now)
        let jobs = configuration.monitors.map { monitorConfiguration in
            let runtime = MonitorRuntime.make(monitorConfiguration, transport: http, clock: now)
            let poll = monitorConfiguration.poll
            return ScheduledJob(
                name: monitorConfiguration.name,
                policy: BackoffPolicy(
                    interval: poll.interval, jitter: poll.jitter, maximumBackoff: configuration.daemon.maxBackoff),
                timeout: monitorConfiguration.pollDeadline
            ) { deadline in
                await pipeline.run(runtime, deadline: deadline).2
            }
        }
        let scheduler = MonitorScheduler(clock: clock, jobs: jobs, random: random, observer: observer)
        scheduler.start()
        logger.info(
            "livewatch started",
            metadata: [
                "version": "\(LiveWatchVersion.current)", "monitors": "\(jobs.count)",
                "database": "\(configuration.daemon.database)",
            ])
        for await signal in signals {
            if case .stop = signal { break }
            alertLog.reopen()
            logger.info("SIGHUP: the alert log will be reopened on its next line")
        }
        logger.info("stopping: timers stopped, waiting for polls in flight")
        let abandoned = await scheduler.stop(deadline: configuration.daemon.shutdownTimeout)
        if !abandoned.isEmpty {
            logger.warning("abandoned polls still running at the shutdown deadline", metadata: ["monitors": "\(abandoned)"])
        }
        await recorder.flushAlertLog()
        await ownedTransport?.shutdown()
        store.close()
        logger.info("livewatch stopped")
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
        let recorder = PollRecorder(
            store: store, alertLog: AlertLog(path: configuration.daemon.alertLog),
            repeatInterval: configuration.daemon.repeatInterval,
            failureThreshold: configuration.daemon.failureThreshold, logger: logger)
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
        await ownedTransport?.shutdown()
        return reports
    }
}
