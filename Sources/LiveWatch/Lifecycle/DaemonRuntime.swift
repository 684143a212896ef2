import Foundation
import Logging

/// The parts `livewatch run` and `livewatch poll` work with, built in one place: the database
/// (migrated), the alert log (lines left pending by an earlier run written), the alert policy, the
/// HTTP transport and the notification sender (not started).
///
/// Whoever opens a runtime closes it: `close()` shuts down the HTTP client the runtime created
/// (never a transport it was lent) and closes the database last.
final class DaemonRuntime: Sendable {
    let store: Store
    let alertLog: AlertLog
    /// Rule settings, silences and notifiers; SIGHUP replaces them.
    let policy: AlertPolicyBox
    /// What polls and notifications are sent through.
    let transport: any HTTPTransport
    /// The client this runtime created, if it was lent none: shut down by `close()`.
    private let ownedClient: AsyncHTTPTransport?
    /// Drains the notification outbox; the daemon starts its timer, `poll` runs one pass.
    let sender: NotificationSender
    let logger: Logger
    let clock: any SchedulerClock
    /// The daemon's metrics, with `daemon.listen`; nil costs the polls nothing.
    let metrics: LiveWatchMetrics?

    private init(
        store: Store, alertLog: AlertLog, policy: AlertPolicyBox, transport: any HTTPTransport,
        ownedClient: AsyncHTTPTransport?, sender: NotificationSender, logger: Logger, clock: any SchedulerClock,
        metrics: LiveWatchMetrics?
    ) {
        self.metrics = metrics
        self.store = store
        self.alertLog = alertLog
        self.policy = policy
        self.transport = transport
        self.ownedClient = ownedClient
        self.sender = sender
        self.logger = logger
        self.clock = clock
    }

    /// Opens the database and writes the alert lines an earlier run left pending; then makes the
    /// HTTP client (unless `transport` is lent) and the notification sender.
    static func open(
        _ configuration: Configuration, logger: Logger, clock: any SchedulerClock, transport lent: (any HTTPTransport)?,
        metrics: LiveWatchMetrics? = nil,
        notificationObserver: @escaping @Sendable (NotificationEvent) -> Void = { _ in }
    ) async throws -> DaemonRuntime {
        let store = try Store(path: configuration.daemon.database)
        let alertLog = AlertLog(path: configuration.daemon.alertLog)
        let policy = AlertPolicyBox(AlertPolicy(configuration: configuration))
        await PollRecorder(
            store: store, alertLog: alertLog, repeatInterval: configuration.daemon.repeatInterval,
            failureThreshold: configuration.daemon.failureThreshold, logger: logger, policy: policy
        ).flushAlertLog()
        let transport: any HTTPTransport
        let ownedClient: AsyncHTTPTransport?
        if let lent {
            transport = lent
            ownedClient = nil
        } else {
            let client = AsyncHTTPTransport()
            transport = client
            ownedClient = client
        }
        var observer = notificationObserver
        if let metrics {
            observer = { event in
                metrics.notification(event)
                notificationObserver(event)
            }
        }
        let sender = NotificationSender(
            store: store, transport: transport, clock: clock, policy: policy, logger: logger, observer: observer,
            metrics: metrics)
        let runtime = DaemonRuntime(
            store: store, alertLog: alertLog, policy: policy, transport: transport, ownedClient: ownedClient,
            sender: sender, logger: logger, clock: clock, metrics: metrics)
        return runtime
    }

    /// A recorder with `settings`' repeat interval and failure threshold.
    func makeRecorder(_ settings: DaemonSettings) -> PollRecorder {
        var recorder = PollRecorder(
            store: store, alertLog: alertLog, repeatInterval: settings.repeatInterval,
            failureThreshold: settings.failureThreshold, logger: logger, policy: policy)
        recorder.metrics = metrics
        return recorder
    }

    /// Sets the metrics' gauges from the database (the last observation of each configured monitor,
    /// open alerts, queued notifications); a failure is logged and the gauges wait for the polls.
    func restoreMetrics(_ metrics: LiveWatchMetrics, _ configuration: Configuration) async {
        let monitors = configuration.monitors.map { (name: $0.name, vendor: $0.vendor) }
        do {
            let snapshot = try await store.access { try MetricsQueries.snapshot(monitors: monitors, in: $0) }
            metrics.restore(snapshot)
        } catch {
            logger.error("metrics: cannot read the last observations back: \(error)")
        }
    }

    /// One pipeline for `settings`, its clock the runtime's.
    func makePipeline(_ settings: DaemonSettings) -> PollPipeline {
        let clock = self.clock
        var pipeline = PollPipeline(recorder: makeRecorder(settings), logger: logger, clock: { clock.now() })
        pipeline.metrics = metrics
        return pipeline
    }

    /// The runtime of one configured monitor (its vendor client, limiters and evaluator).
    func makeMonitor(_ monitor: MonitorConfiguration) -> MonitorRuntime {
        let clock = self.clock
        return MonitorRuntime.make(monitor, transport: transport, clock: { clock.now() })
    }

    /// One scheduled job per configured monitor, in the configuration's order. A poll that
    /// writes alert lines wakes the sender, which runs on its own timer, never in the poll's way.
    func makeJobs(_ configuration: Configuration) -> [ScheduledJob] {
        let pipeline = makePipeline(configuration.daemon)
        let sender = self.sender
        return configuration.monitors.map { monitorConfiguration in
            let runtime = makeMonitor(monitorConfiguration)
            let poll = monitorConfiguration.poll
            return ScheduledJob(
                name: monitorConfiguration.name,
                policy: BackoffPolicy(
                    interval: poll.interval, jitter: poll.jitter, maximumBackoff: configuration.daemon.maxBackoff),
                timeout: monitorConfiguration.pollDeadline
            ) { deadline in
                let (_, lines, result) = await pipeline.run(runtime, deadline: deadline)
                if !lines.isEmpty { sender.wake() }
                return result
            }
        }
    }

    /// Shuts down the HTTP client this runtime created, then closes the database.
    func close() async {
        await ownedClient?.shutdown()
        store.close()
    }
}
