import NIOCore
import NIOPosix
import Synchronization

/// A sleep on SwiftNIO's shared event loop: the loop's own timer (its `epoll_wait` deadline) ends it, so a
/// rate-limited crawl that sleeps between pages wakes on the thread that then sends the page, rather than on a
/// Dispatch timer thread that must wake another. Exact: no timer tolerance (`Task.sleep`'s default lets a wait
/// end up to a tenth late, which would stretch every step of a crawl).
public enum EventLoopSleep {
    /// Waits `seconds` (at most a year); throws `CancellationError` when the task is cancelled.
    public static func sleep(_ seconds: Double) async throws {
        try Task.checkCancellation()
        let nanoseconds = Int64(max(0, min(seconds, 86_400 * 365)) * 1_000_000_000)
        let pending = Pending()
        try await withTaskCancellationHandler {
            let scheduled = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(nanoseconds)) {}
            if pending.schedule(scheduled) { scheduled.cancel() }
            do {
                try await scheduled.futureResult.get()
            } catch {
                throw CancellationError()
            }
        } onCancel: {
            pending.cancel()
        }
    }

    /// The scheduled wake-up, and whether the task was cancelled before it was scheduled.
    private final class Pending: Sendable {
        private let state = Mutex<(scheduled: Scheduled<Void>?, cancelled: Bool)>((nil, false))

        /// Records the wake-up; true if the task was already cancelled (the caller cancels it).
        func schedule(_ scheduled: Scheduled<Void>) -> Bool {
            state.withLock { state in
                state.scheduled = scheduled
                return state.cancelled
            }
        }

        func cancel() {
            let scheduled = state.withLock { state in
                state.cancelled = true
                return state.scheduled
            }
            scheduled?.cancel()
        }
    }
}
