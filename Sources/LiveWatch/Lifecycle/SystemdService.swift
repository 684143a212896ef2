import Logging
import Synchronization

/// systemd's side of the daemon, started last: READY once every part runs, and the watchdog fed
/// from the scheduler's health on the scheduler's own clock, so a stuck scheduler stops the pings
/// and systemd restarts the service. Stopped first: STOPPING, and the pings end.
final class SystemdService: DaemonService {
    let notifier: SystemdNotifier
    let scheduler: MonitorScheduler
    let clock: any SchedulerClock
    /// The running configuration (for READY's status and the start log line).
    let configuration: @Sendable () -> Configuration
    let logger: Logger
    private let watchdog = Mutex<(any SchedulerTimer)?>(nil)

    init(
        notifier: SystemdNotifier, scheduler: MonitorScheduler, clock: any SchedulerClock,
        configuration: @escaping @Sendable () -> Configuration, logger: Logger
    ) {
        self.notifier = notifier
        self.scheduler = scheduler
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    var description: String { "systemd notifier" }

    func start() async {
        startWatchdog()
        let configuration = self.configuration()
        notifier.ready(status: "polling \(configuration.monitors.count) monitor(s)")
        logger.info(
            "livewatch started",
            metadata: [
                "version": "\(LiveWatchVersion.current)", "monitors": "\(configuration.monitors.count)",
                "database": "\(configuration.daemon.database)", "notifiers": "\(configuration.notifiers.count)",
            ])
    }

    func stop() async {
        notifier.stopping()
        watchdog.withLock { $0 }?.cancel()
    }

    /// Pings every half `WATCHDOG_USEC` (at least every 0.5 s) while no poll is stuck past its deadline.
    private func startWatchdog() {
        guard let interval = notifier.watchdogInterval else { return }
        let period = max(0.5, interval / 2)
        let timer = clock.makeTimer(label: "watchdog") { [weak self] in
            guard let self else { return }
            if self.scheduler.isHealthy(now: self.clock.now()) {
                self.notifier.watchdog()
            } else {
                self.logger.error("a poll is stuck past its deadline: withholding the watchdog ping")
            }
            self.watchdog.withLock { $0 }?.schedule(after: period)
        }
        watchdog.withLock { $0 = timer }
        timer.schedule(after: period)
    }
}
