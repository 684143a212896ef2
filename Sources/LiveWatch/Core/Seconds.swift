/// Conversions of seconds held as `Double` into the integer types of sleeps, deadlines and
/// SQL times. Each clamps first, so no value (negative, NaN, infinite, 10^12 days) can trap.
/// The configuration already bounds every duration; these keep a value from anywhere else safe.
public enum Seconds {
    /// The longest span any conversion yields: 100 years, more than any documented range.
    public static let ceiling: Double = 100 * 365 * 86_400

    /// `seconds` within `0...ceiling`; NaN is 0.
    public static func clamped(_ seconds: Double) -> Double {
        guard !seconds.isNaN else { return 0 }
        return min(max(seconds, 0), ceiling)
    }

    /// Nanoseconds for `Task.sleep(nanoseconds:)`.
    public static func nanoseconds(_ seconds: Double) -> UInt64 {
        UInt64(clamped(seconds) * 1_000_000_000)
    }

    /// Whole milliseconds for a deadline.
    public static func milliseconds(_ seconds: Double) -> Int64 {
        Int64(clamped(seconds) * 1_000)
    }

    /// Whole seconds, rounded down, for a span subtracted from a unix time.
    public static func whole(_ seconds: Double) -> Int64 {
        Int64(clamped(seconds).rounded(.down))
    }
}
