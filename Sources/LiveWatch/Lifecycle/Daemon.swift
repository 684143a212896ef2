import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The long-running daemon: its parts are services in one `ServiceGroup`, which owns the start
/// order, the stop signals and the graceful-shutdown deadline.
///
/// Before the group: the metrics listener (with `daemon.listen`), the database (migrated), the alert
/// log (pending lines written) and the HTTP client (`DaemonRuntime`). Start order: metrics listener,
/// notification sender, monitors (their Dispatch timers), pruner, systemd (watchdog, READY), SIGHUP
/// reloads, readiness (`/-/ready` 200). Stop order, the reverse: not ready, reloads end, STOPPING,
/// pruning timer (a pass in flight finishes), monitor timers, in-flight polls (finished or abandoned
/// within `shutdown_timeout`), alert log flush, notification sender (its last pass bounded by
/// `shutdown_timeout`), metrics listener; after the group: HTTP client, database last.
public final class Daemon: Sendable {
    /// The configuration the daemon starts with (SIGHUP may replace it while it runs).
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

    /// Runs until SIGTERM or SIGINT; SIGHUP reloads the configuration and reopens the alert log.
    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let (signals, control) = AsyncStream<DaemonSignal>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in hangups { control.yield(.reload) }
            }
            defer { tasks.cancelAll() }
            try await run(signals: signals, stopSignals: [.sigterm, .sigint])
        }
    }

    /// Runs until `signals` yields `.stop` (or ends); `.reload` is SIGHUP. No process signal is
    /// trapped: tests and embedders drive the daemon through the stream.
    public func run(signals: AsyncStream<DaemonSignal>) async throws {
        try await run(signals: signals, stopSignals: [])
    }

    func run(signals: AsyncStream<DaemonSignal>, stopSignals: [UnixSignal]) async throws {
        // A log line to a broken stderr pipe (or any write to a closed socket) must fail, not kill the daemon.
        StandardStream.ignoreBrokenPipes()
        let (metrics, server) = try await Self.startListener(configuration, logger: logger)
        let runtime: DaemonRuntime
        do {
            runtime = try await DaemonRuntime.open(
                configuration, logger: logger, clock: clock, transport: transport, metrics: metrics,
                notificationObserver: notificationObserver)
        } catch {
            await server?.close()
            throw error
        }
        if let metrics { await runtime.restoreMetrics(metrics, configuration) }
        let scheduler = MonitorScheduler(
            clock: clock, jobs: runtime.makeJobs(configuration), random: random, observer: observer)
        let reloader = ConfigurationReloader(
            configuration, read: reloadConfiguration, runtime: runtime, scheduler: scheduler, notifier: notifier,
            logger: logger)
        let (reloads, reloadRequests) = AsyncStream<Void>.makeStream()
        let services: [any DaemonService] = [
            NotificationService(sender: runtime.sender, shutdownTimeout: { reloader.current.daemon.shutdownTimeout }),
            SchedulerService(
                scheduler: scheduler, runtime: runtime, settings: { reloader.current.daemon }, logger: logger),
            PrunerService(
                store: runtime.store, policy: RetentionPolicy(configuration.daemon),
                interval: configuration.daemon.pruneInterval, clock: clock, logger: logger),
            SystemdService(
                notifier: notifier, scheduler: scheduler, clock: clock, configuration: { reloader.current },
                logger: logger),
            ReloadService(requests: reloads, reloader: reloader),
        ]
        // The metrics listener starts first and stops last; readiness starts last and stops first.
        let listener: [any DaemonService] = server.map { [MetricsService(server: $0)] } ?? []
        let readiness: [any DaemonService] = metrics.map { [ReadinessService(metrics: $0)] } ?? []
        var groupConfiguration = ServiceGroupConfiguration(
            services: ServiceStartOrder.configurations(listener + services + readiness),
            gracefulShutdownSignals: stopSignals,
            logger: Self.quiet(logger))
        groupConfiguration.maximumGracefulShutdownDuration = Self.gracefulShutdownDeadline(configuration.daemon)
        let group = ServiceGroup(configuration: groupConfiguration)
        let outcome: Result<Void, any Error>
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    for await signal in signals {
                        guard case .reload = signal else { break }
                        reloadRequests.yield()
                    }
                    await group.triggerGracefulShutdown()
                }
                defer { tasks.cancelAll() }
                try await group.run()
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await runtime.close()
        logger.info("livewatch stopped")
        try outcome.get()
    }

    /// With `daemon.listen`: the daemon's metrics and its listener, bound (the real port logged).
    static func startListener(_ configuration: Configuration, logger: Logger) async throws -> (
        LiveWatchMetrics?, MetricsServer?
    ) {
        guard let listen = configuration.daemon.listen else { return (nil, nil) }
        let metrics = LiveWatchMetrics(
            monitors: configuration.monitors, notifiers: configuration.notifiers.map(\.name))
        let server = try await MetricsServer.bind(listen, metrics: metrics)
        var bound = listen
        bound.port = server.port
        logger.info("metrics listener on \(bound)", metadata: ["listen": "\(bound)"])
        return (metrics, server)
    }

    /// The group's deadline, a backstop: the polls in flight and the sender's last pass are each
    /// bounded by `shutdown_timeout` already, so a shutdown past twice that (plus 5 s for the alert
    /// log and the database) has a part stuck; the group then cancels what is still running.
    /// With the default 10 s this is 25 s, inside the unit's `TimeoutStopSec=30s`.
    static func gracefulShutdownDeadline(_ settings: DaemonSettings) -> Duration {
        .milliseconds(Seconds.milliseconds(2 * settings.shutdownTimeout + 5))
    }

    /// The daemon's logger for the group, without its debug lines (the daemon logs its own start and stop).
    static func quiet(_ logger: Logger) -> Logger {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .info)
        return quiet
    }

    /// Polls each (or each named) monitor once, stores and evaluates as the daemon would, then
    /// delivers what is queued for the notifiers in one pass (what fails stays for the daemon).
    public static func pollOnce(
        configuration: Configuration, names: [String], logger: Logger, transport: (any HTTPTransport)? = nil
    ) async throws -> [PollReport] {
        let selected =
            names.isEmpty
            ? configuration.monitors : configuration.monitors.filter { names.contains($0.name) }
        let unknown = names.filter { name in !configuration.monitors.contains { $0.name == name } }
        guard unknown.isEmpty else {
            throw ConfigurationError(
                path: "--monitor",
                problems: unknown.map {
                    ConfigurationProblem(
                        line: nil, owner: $0, key: "", message: "no monitor of that name in the configuration")
                })
        }
        let runtime = try await DaemonRuntime.open(
            configuration, logger: logger, clock: DispatchSchedulerClock(), transport: transport)
        let pipeline = runtime.makePipeline(configuration.daemon)
        let reports = await withTaskGroup(of: (Int, PollReport).self) { group in
            for (index, monitorConfiguration) in selected.enumerated() {
                let monitor = runtime.makeMonitor(monitorConfiguration)
                group.addTask(executorPreference: ProcessThreads.taskExecutor) {
                    (index, await pipeline.run(monitor, deadline: monitorConfiguration.pollDeadline).0)
                }
            }
            var collected: [(Int, PollReport)] = []
            for await item in group { collected.append(item) }
            return collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        if !configuration.notifiers.isEmpty {
            await runtime.sender.drainOnce()
        }
        await runtime.close()
        return reports
    }
}
