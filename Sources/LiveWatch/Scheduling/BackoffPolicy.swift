/// When a monitor polls next: its interval after a success, exponential
/// backoff with a cap after failures, never sooner than the vendor asked.
public struct BackoffPolicy: Sendable, Equatable {
    /// Seconds between polls after a success.
    public var interval: Double
    /// Random spread as a fraction of each wait (0.1 = ±10%).
    public var jitter: Double
    /// The longest backoff, in seconds (never below `interval`).
    public var maximumBackoff: Double

    /// The wait before the next poll.
    ///
    /// - Parameters:
    ///   - consecutiveFailures: 0 after a success.
    ///   - retryAfter: the least wait the vendor (or the failure's nature) demands.
    ///   - random: a number in -1...1 that spreads the wait by `jitter`.
    public func delay(consecutiveFailures: Int, retryAfter: Double?, random: Double) -> Double {
        let base: Double
        if consecutiveFailures <= 0 {
            base = interval
        } else {
            let exponent = Double(min(consecutiveFailures - 1, 30))
            base = min(max(maximumBackoff, interval), interval * pow2(exponent))
        }
        let spread = base * jitter * max(-1, min(1, random))
        let jittered = max(0.1, base + spread)
        guard let retryAfter, retryAfter > jittered else { return jittered }
        return retryAfter
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}
