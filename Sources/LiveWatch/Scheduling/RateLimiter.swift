import Foundation

/// Holds request starts to a rate: at most `perSecond` starts in any
/// one-second window, spread evenly (one every `1/perSecond` seconds, plus a
/// small margin so network jitter cannot bunch two starts at the server).
public actor RateLimiter {
    /// Requests per second.
    public let perSecond: Double
    /// Seconds between two starts.
    public let spacing: Double
    private var nextStart: Date?
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Double) async throws -> Void

    /// - Parameters:
    ///   - margin: extra fraction of spacing (0.02 = 2%).
    ///   - now, sleep: time, injectable for tests.
    public init(
        perSecond: Double, margin: Double = 0.02, now: @escaping @Sendable () -> Date = Date.init,
        sleep: @escaping @Sendable (Double) async throws -> Void = { seconds in
            try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
        }
    ) {
        self.perSecond = max(0.001, perSecond)
        self.spacing = (1 / max(0.001, perSecond)) * (1 + max(0, margin))
        self.now = now
        self.sleep = sleep
    }

    /// Waits for the next free start slot. Throws `CancellationError` if cancelled while waiting.
    public func acquire() async throws {
        let current = now()
        let slot = max(current, nextStart ?? current)
        nextStart = slot.addingTimeInterval(spacing)
        let wait = slot.timeIntervalSince(current)
        if wait > 0 { try await sleep(wait) }
        try Task.checkCancellation()
    }

    /// Pushes the next start at least `seconds` away (a vendor said "too frequent").
    public func pause(for seconds: Double) {
        let resume = now().addingTimeInterval(seconds)
        if let nextStart, nextStart > resume { return }
        nextStart = resume
    }
}
