import Logging

/// The monitors' schedule as a service. `MonitorScheduler` keeps its Dispatch timers (one per
/// monitor); this starts them, and at stop cancels them, waits up to `shutdown_timeout` for the
/// polls in flight (cancelling those still running) and writes the alert lines they left pending.
struct SchedulerService: DaemonService {
    let scheduler: MonitorScheduler
    let runtime: DaemonRuntime
    /// The running daemon settings (SIGHUP may change them).
    let settings: @Sendable () -> DaemonSettings
    let logger: Logger

    var description: String { "monitor scheduler" }

    func start() async {
        scheduler.start()
    }

    func stop() async {
        let settings = self.settings()
        logger.info("stopping: timers stopped, waiting for polls in flight")
        let abandoned = await scheduler.stop(deadline: settings.shutdownTimeout)
        if !abandoned.isEmpty {
            logger.warning(
                "abandoned polls still running at the shutdown deadline", metadata: ["monitors": "\(abandoned)"])
        }
        await runtime.makeRecorder(settings).flushAlertLog()
    }
}
