import Foundation
import Synchronization

/// Holds request starts to a rate: at most `perSecond` starts in any
/// one-second window, spread evenly (one every `1/perSecond` seconds, plus a
/// margin of 0.5 %).
///
/// A client that reports each answer with `complete()` gets a guarantee that
/// holds whatever the latency: a request starts at least one second after the
/// answer to the request `perSecond` places before it arrived. The server saw
/// that earlier request before it answered, and sees this one after it
/// starts, so no one-second window at the server holds more than `perSecond`
/// of them (for requests sent one after the other, as a paging crawl does).
///
/// A class with a lock rather than an actor: taking a slot is a few arithmetic steps, and an actor call from a
/// crawl running on the event loop would hop to Swift's pool and back for each page.
public final class RateLimiter: Sendable {
    /// Requests per second.
    public let perSecond: Double
    /// Seconds between two starts.
    public let spacing: Double
    /// How many starts a one-second window may hold.
    public let window: Int
    private struct State {
        var nextStart: Date?
        /// The last `window` completion times, oldest at `oldest`.
        var completions: [Date] = []
        var oldest = 0
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Double) async throws -> Void

    /// - Parameters:
    ///   - margin: extra fraction of spacing (0.005 = 0.5 %). The window rule below, not this margin, is what keeps
    ///     the server from seeing too many starts in a second; a crawl's pages take `1 + margin` times the ideal.
    ///   - now, sleep: time, injectable for tests.
    public init(
        perSecond: Double, margin: Double = 0.005, now: @escaping @Sendable () -> Date = Date.init,
        sleep: @escaping @Sendable (Double) async throws -> Void = { seconds in try await EventLoopSleep.sleep(seconds)
        }
    ) {
        self.perSecond = max(0.001, perSecond)
        self.spacing = (1 / max(0.001, perSecond)) * (1 + max(0, margin))
        self.window = max(1, Int(max(0.001, perSecond).rounded(.down)))
        self.now = now
        self.sleep = sleep
    }

    /// Waits for the next free start slot. Throws `CancellationError` if cancelled while waiting.
    public func acquire() async throws {
        let current = now()
        let wait = state.withLock { state -> Double in
            var slot = max(current, state.nextStart ?? current)
            if state.completions.count == window {
                // One millisecond more than a second, so a half-open window cannot hold both ends.
                slot = max(slot, state.completions[state.oldest].addingTimeInterval(1.001))
            }
            state.nextStart = slot.addingTimeInterval(spacing)
            return slot.timeIntervalSince(current)
        }
        if wait > 0 {
            try await sleep(wait)
            // A sleep that ran a little late is made up by the next start, so oversleeping does not stretch a
            // crawl; never closer than half the spacing, so a long oversleep re-anchors the steps, not a burst.
            let started = now()
            state.withLock { state in
                if let reserved = state.nextStart, started.addingTimeInterval(spacing / 2) > reserved {
                    state.nextStart = started.addingTimeInterval(spacing / 2)
                }
            }
        }
        try Task.checkCancellation()
    }

    /// Records that the answer to the latest request has arrived (or that it failed).
    public func complete() {
        let current = now()
        state.withLock { state in
            if state.completions.count < window {
                state.completions.append(current)
            } else {
                state.completions[state.oldest] = current
                state.oldest = (state.oldest + 1) % window
            }
        }
    }

    /// Pushes the next start at least `seconds` away (a vendor said "too frequent").
    public func pause(for seconds: Double) {
        let resume = now().addingTimeInterval(seconds)
        state.withLock { state in
            if let nextStart = state.nextStart, nextStart > resume { return }
            state.nextStart = resume
        }
    }
}
