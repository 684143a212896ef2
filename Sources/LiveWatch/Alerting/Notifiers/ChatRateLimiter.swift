import Foundation

/// Keeps one robot to its service's documented rates: at most `messages` in any sliding `window`
/// seconds, for every rate at once, and nothing before a "too fast" answer's wait is over. Pure: times
/// are passed in (the sender's clock). A message counts from when its answer arrived, which is never
/// before the service saw it, so the service never counts more than the limiter allowed.
public struct ChatRateLimiter: Sendable, Equatable {
    /// The rates kept.
    public let rates: [ChatServiceLimits.Rate]
    /// When recent messages were answered, oldest first (no more than the largest rate's count).
    private(set) var sent: [Date] = []
    /// No message before this time (a "too fast" answer).
    private(set) var blockedUntil: Date?

    public init(rates: [ChatServiceLimits.Rate]) {
        self.rates = rates
    }

    /// Seconds until the next message may go out at `now` (0: now).
    public func wait(at now: Date) -> Double {
        var wait = 0.0
        if let blockedUntil { wait = max(wait, blockedUntil.timeIntervalSince(now)) }
        for rate in rates where rate.messages > 0 {
            let recent = sent.filter { Self.inWindow($0, at: now, window: rate.window) }
            guard recent.count >= rate.messages else { continue }
            // The oldest of the last `messages` must leave the window first (a millisecond of margin
            // keeps a timer that fires exactly then from finding it a hair inside).
            let oldest = recent[recent.count - rate.messages]
            wait = max(wait, rate.window - now.timeIntervalSince(oldest) + 0.001)
        }
        return max(0, wait)
    }

    /// A message was answered at `time`.
    public mutating func record(_ time: Date) {
        sent.append(time)
        let keep = rates.map(\.messages).max() ?? 0
        if sent.count > keep { sent.removeFirst(sent.count - keep) }
    }

    /// The service said "too fast": nothing goes out before `time`.
    public mutating func block(until time: Date) {
        blockedUntil = max(blockedUntil ?? time, time)
    }

    /// True when a message sent at `time` still counts at `now` in a window of `window` seconds.
    /// The simulator's receivers count with the same expression.
    public static func inWindow(_ time: Date, at now: Date, window: Double) -> Bool {
        now.timeIntervalSince(time) < window
    }
}
