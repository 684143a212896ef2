import Synchronization

/// Scripted faults of one simulated API: queued one-shot faults first, then a
/// standing fault, if set.
public final class FaultScript: Sendable {
    private struct State {
        var queued: [SimulatedFault] = []
        var standing: SimulatedFault?
    }

    private let state = Mutex(State())

    public init() {}

    /// The next `count` requests get `fault`.
    public func inject(_ fault: SimulatedFault, count: Int = 1) {
        state.withLock { $0.queued.append(contentsOf: Array(repeating: fault, count: max(0, count))) }
    }

    /// Every request gets `fault` (after queued ones) until cleared with nil.
    public func setStanding(_ fault: SimulatedFault?) {
        state.withLock { $0.standing = fault }
    }

    /// Removes every fault.
    public func clear() {
        state.withLock { $0 = State() }
    }

    /// The fault for the request being handled now, if any.
    public func next() -> SimulatedFault? {
        state.withLock { state in
            if !state.queued.isEmpty { return state.queued.removeFirst() }
            return state.standing
        }
    }
}
