import Foundation

@testable import LiveWatch

/// A daemon running in a task on a manual clock, its scheduler events and log captured, driven by the
/// signals the test sends through `control`.
struct RunningDaemon {
    let clock: ManualClock
    let events: EventRecorder
    let log: CapturedLog
    let control: AsyncStream<DaemonSignal>.Continuation
    let task: Task<Void, any Error>

    /// Starts the daemon; `random` is every jitter draw (0: none).
    init(
        _ configuration: Configuration, transport: any HTTPTransport,
        notifier: SystemdNotifier = SystemdNotifier(environment: [:]),
        reloadConfiguration: (@Sendable () throws -> Configuration)? = nil, random: Double = 0
    ) {
        let clock = ManualClock(start: Date())
        let events = EventRecorder()
        let log = CapturedLog()
        let daemon = Daemon(
            configuration: configuration, logger: log.logger, clock: clock, transport: transport, notifier: notifier,
            reloadConfiguration: reloadConfiguration, random: { random }, observer: events.observer)
        let (signals, control) = AsyncStream<DaemonSignal>.makeStream()
        self.clock = clock
        self.events = events
        self.log = log
        self.control = control
        self.task = Task { try await daemon.run(signals: signals) }
    }

    /// Sends `.stop` and waits for the daemon to return.
    func stop() async throws {
        control.yield(.stop)
        try await task.value
    }
}
