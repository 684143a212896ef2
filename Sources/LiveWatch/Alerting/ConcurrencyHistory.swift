import Synchronization

/// A Polyv monitor's successful polls of the last `window` seconds, kept in memory for the forecast:
/// the poll recorder loads them once from the stored samples (after a start, a reload that rebuilt the
/// monitor, or a failed write), and each evaluation then adds its own sample and drops those that left
/// the window. Reading the window back from SQLite at every poll costs a row lookup per sample (1,800
/// at a one-second interval and the default window), which the poll's CPU budget cannot afford; the
/// memory costs 24 bytes a sample.
///
/// At most `capacity` samples are kept (the newest): a window longer than that many polls is cut short.
public final class ConcurrencyHistory: Sendable {
    /// The samples kept at most.
    public static let capacity = 10_000

    /// The window, in whole seconds: samples at or after the newest minus this are kept.
    public let window: Int64

    private struct State {
        var loaded = false
        var samples: [ConcurrencySample] = []
    }

    private let state = Mutex(State())

    /// An empty history of `window` seconds, waiting to be loaded.
    public init(window: Double) {
        self.window = Seconds.whole(window)
    }

    /// True until `load` is called (again, after `forget`).
    public var needsLoading: Bool { state.withLock { !$0.loaded } }

    /// The earliest time a sample must have to be loaded, for a poll at `now` (whole seconds).
    public func earliest(at now: Int64) -> Int64 { now &- window }

    /// Replaces the memory with the stored samples (oldest first, as stored before the poll at hand).
    public func load(_ samples: [ConcurrencySample]) {
        state.withLock { state in
            state.loaded = true
            state.samples = Array(samples.suffix(Self.capacity))
        }
    }

    /// Forgets everything: the next poll loads again (its transaction failed, so memory and database may differ).
    public func forget() {
        state.withLock { $0 = State() }
    }

    /// Adds `sample` and returns the samples of the window ending at it, oldest first. A sample older
    /// than ones kept (the clock stepped back) drops those: the window always ends at the newest poll.
    public func add(_ sample: ConcurrencySample) -> [ConcurrencySample] {
        state.withLock { state in
            while let last = state.samples.last, last.observedAt > sample.observedAt {
                state.samples.removeLast()
            }
            state.samples.append(sample)
            let earliest = sample.observedAt &- window
            let leaving = state.samples.prefix { $0.observedAt < earliest }.count
            let excess = max(leaving, state.samples.count - Self.capacity)
            if excess > 0 { state.samples.removeFirst(excess) }
            return state.samples
        }
    }
}
