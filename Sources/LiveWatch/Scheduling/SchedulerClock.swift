import Dispatch
import Foundation
import Synchronization

/// A source of time and one-shot timers. The daemon uses Dispatch; tests
/// use `ManualClock` and drive time instead of sleeping.
public protocol SchedulerClock: Sendable {
    /// The current time.
    func now() -> Date
    /// A new, unarmed timer calling `handler` each time it fires.
    func makeTimer(label: String, handler: @escaping @Sendable () -> Void) -> any SchedulerTimer
}

/// A re-armable one-shot timer.
public protocol SchedulerTimer: Sendable {
    /// Fires once, `seconds` from now (replacing any earlier arming).
    func schedule(after seconds: Double)
    /// Stops the timer for good.
    func cancel()
}

/// Wall-clock time and `DispatchSourceTimer`s on one private serial queue.
public struct DispatchSchedulerClock: SchedulerClock {
    let queue: DispatchQueue

    public init(queue: DispatchQueue = DispatchQueue(label: "livewatch.scheduler")) {
        self.queue = queue
    }

    public func now() -> Date { Date() }

    public func makeTimer(label: String, handler: @escaping @Sendable () -> Void) -> any SchedulerTimer {
        DispatchTimer(queue: queue, handler: handler)
    }
}

/// One `DispatchSourceTimer`, activated once and re-armed with `schedule`.
final class DispatchTimer: SchedulerTimer {
    // DispatchSourceTimer is thread-safe for schedule/cancel; the Mutex guards only `cancelled`.
    private nonisolated(unsafe) let source: DispatchSourceTimer
    private let cancelled = Mutex(false)

    init(queue: DispatchQueue, handler: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(flags: [], queue: queue)
        source.setEventHandler(handler: handler)
        source.schedule(deadline: .distantFuture, repeating: .never)
        source.activate()
    }

    func schedule(after seconds: Double) {
        cancelled.withLock { isCancelled in
            guard !isCancelled else { return }
            let nanoseconds = Int(Seconds.nanoseconds(min(seconds, 86_400 * 365)))
            source.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .never, leeway: .milliseconds(20))
        }
    }

    func cancel() {
        cancelled.withLock { isCancelled in
            guard !isCancelled else { return }
            isCancelled = true
            source.cancel()
        }
    }
}

/// A clock whose time moves only when told: for tests and simulations.
public final class ManualClock: SchedulerClock {
    struct Pending {
        let label: String
        var deadline: Date?
        var cancelled = false
        let handler: @Sendable () -> Void
    }

    private struct State {
        var now: Date
        var timers: [Int: Pending] = [:]
        var nextID = 0
    }

    private let state: Mutex<State>

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: start))
    }

    public func now() -> Date { state.withLock { $0.now } }

    public func makeTimer(label: String, handler: @escaping @Sendable () -> Void) -> any SchedulerTimer {
        let id = state.withLock { state in
            state.nextID += 1
            state.timers[state.nextID] = Pending(label: label, deadline: nil, handler: handler)
            return state.nextID
        }
        return ManualTimer(clock: self, id: id)
    }

    /// The armed deadlines, soonest first, as offsets from now.
    public var pendingDelays: [Double] {
        state.withLock { state in
            state.timers.values.compactMap { pending in
                guard !pending.cancelled, let deadline = pending.deadline else { return nil }
                return deadline.timeIntervalSince(state.now)
            }.sorted()
        }
    }

    /// The armed timers' labels with their delays from now, soonest first.
    public var pendingTimers: [(label: String, delay: Double)] {
        state.withLock { state in
            state.timers.values.compactMap { pending -> (String, Double)? in
                guard !pending.cancelled, let deadline = pending.deadline else { return nil }
                return (pending.label, deadline.timeIntervalSince(state.now))
            }.sorted { $0.1 < $1.1 }
        }
    }

    /// Moves time forward, firing every timer that comes due, in deadline order.
    public func advance(by seconds: Double) {
        let target = now().addingTimeInterval(seconds)
        while true {
            let due: (@Sendable () -> Void)? = state.withLock { state in
                let candidates = state.timers.filter {
                    !$0.value.cancelled && ($0.value.deadline.map { $0 <= target } ?? false)
                }
                guard
                    let (id, pending) = candidates.min(by: {
                        ($0.value.deadline ?? target) < ($1.value.deadline ?? target)
                    })
                else { return nil }
                if let deadline = pending.deadline, deadline > state.now { state.now = deadline }
                state.timers[id]?.deadline = nil
                return pending.handler
            }
            guard let due else { break }
            due()
        }
        state.withLock { $0.now = max($0.now, target) }
    }

    fileprivate func arm(_ id: Int, after seconds: Double) {
        state.withLock { state in
            state.timers[id]?.deadline = state.now.addingTimeInterval(max(0, seconds))
        }
    }

    fileprivate func cancel(_ id: Int) {
        state.withLock { state in
            state.timers[id]?.cancelled = true
            state.timers[id]?.deadline = nil
        }
    }
}

final class ManualTimer: SchedulerTimer {
    let clock: ManualClock
    let id: Int

    init(clock: ManualClock, id: Int) {
        self.clock = clock
        self.id = id
    }

    func schedule(after seconds: Double) { clock.arm(id, after: seconds) }
    func cancel() { clock.cancel(id) }
}
