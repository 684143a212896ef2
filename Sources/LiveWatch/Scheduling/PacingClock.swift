import Foundation

/// Monotonic time and a sleep on it, for code that paces itself (rate limits,
/// retry waits, crawl budgets). Production uses the system's; tests pass a
/// virtual one whose sleep only moves its time forward, so nothing waits for real.
public struct PacingClock: Sendable {
    /// Seconds since an arbitrary origin; only differences mean anything.
    public var now: @Sendable () -> Double
    /// Waits `seconds` on this clock; throws `CancellationError` when the task is cancelled.
    public var sleep: @Sendable (Double) async throws -> Void

    /// A clock from its two parts.
    public init(now: @escaping @Sendable () -> Double, sleep: @escaping @Sendable (Double) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// `ContinuousClock`, and a sleep on SwiftNIO's event loop timer (`EventLoopSleep`).
    public static let system = PacingClock(
        now: {
            let elapsed = ContinuousClock.now - origin
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        },
        sleep: { seconds in try await EventLoopSleep.sleep(seconds) })

    private static let origin = ContinuousClock.now

    /// A rate limiter on this clock.
    public func rateLimiter(perSecond: Double) -> RateLimiter {
        let now = self.now
        return RateLimiter(perSecond: perSecond, now: { Date(timeIntervalSinceReferenceDate: now()) }, sleep: sleep)
    }
}
