import Synchronization

/// Requests received but not yet answered, per path: how many there are now
/// and the most there ever were at once (a client that must never send two
/// requests of one monitor at a time is checked with this). A path can be held:
/// its answers are computed on arrival but sent only when it is released, so a
/// test decides exactly how long a request stays in flight.
public final class InFlightRequests: Sendable {
    private struct State {
        var current: [String: Int] = [:]
        var maximum: [String: Int] = [:]
        var held: Set<String> = []
        var waiting: [String: [@Sendable () -> Void]] = [:]
    }

    private let state = Mutex(State())

    /// Creates an empty ledger.
    public init() {}

    /// Requests to `path` received and not yet answered.
    public func current(path: String) -> Int {
        state.withLock { $0.current[path] ?? 0 }
    }

    /// The most requests to `path` that were ever in flight at once.
    public func maximum(path: String) -> Int {
        state.withLock { $0.maximum[path] ?? 0 }
    }

    /// From now on, answers to `path` wait until `release(path:)`.
    public func hold(path: String) {
        _ = state.withLock { $0.held.insert(path) }
    }

    /// Sends every answer to `path` held so far and stops holding it.
    public func release(path: String) {
        let waiting = state.withLock { state in
            state.held.remove(path)
            return state.waiting.removeValue(forKey: path) ?? []
        }
        for send in waiting { send() }
    }

    /// A request to `path` arrived.
    func begin(path: String) {
        state.withLock { state in
            let now = (state.current[path] ?? 0) + 1
            state.current[path] = now
            state.maximum[path] = max(state.maximum[path] ?? 0, now)
        }
    }

    /// A request to `path` was answered (or its connection closed first).
    func end(path: String) {
        state.withLock { state in
            state.current[path] = max(0, (state.current[path] ?? 0) - 1)
        }
    }

    /// Keeps `send` until `path` is released and returns true, or returns false when `path` is not held.
    func holdIfNeeded(path: String, send: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard state.held.contains(path) else { return false }
            state.waiting[path, default: []].append(send)
            return true
        }
    }
}
