import Logging
import Synchronization

/// Prunes history on its own timer: first a minute after start (or after `prune_interval`, if
/// shorter), then `prune_interval` after each pass ends. A pass never overlaps the previous one;
/// each batch is a short transaction, so polls are never stalled. At stop the timer is cancelled
/// and a pass in flight is waited for.
final class PrunerService: DaemonService {
    private struct State {
        var timer: (any SchedulerTimer)?
        var pass: Task<Void, Never>?
        var stopping = false
    }

    let store: Store
    let retention: Retention
    let interval: Double
    let clock: any SchedulerClock
    let logger: Logger
    private let state = Mutex(State())

    init(store: Store, policy: RetentionPolicy, interval: Double, clock: any SchedulerClock, logger: Logger) {
        self.store = store
        self.retention = Retention(policy: policy)
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    var description: String { "pruner" }

    func start() async {
        let timer = clock.makeTimer(label: "retention") { [weak self] in self?.fire() }
        state.withLock { $0.timer = timer }
        timer.schedule(after: min(60, interval))
    }

    func stop() async {
        let (timer, pass) = state.withLock { state in
            state.stopping = true
            return (state.timer, state.pass)
        }
        timer?.cancel()
        await pass?.value
    }

    private func fire() {
        state.withLock { state in
            guard !state.stopping, state.pass == nil else { return }
            state.pass = Task { [self] in
                await self.prune()
                let timer = self.state.withLock { state in
                    state.pass = nil
                    return state.timer
                }
                timer?.schedule(after: self.interval)
            }
        }
    }

    private func prune() async {
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
    }
}
