import Foundation

/// `mr_concurrency_forecast`: when the least-squares trend of `used` over the successful polls of the
/// last `window` seconds (at least `minimumPoints` of them, the newest poll included) reaches `total`
/// within `horizon` seconds of the newest poll, the rule fires (warning), unless
/// `mr_concurrency_exhausted` fires (the alert book clears it then: see `AlertInhibition`).
///
/// The prediction is the later of two moments at the trend's slope: where the line reaches the total,
/// and where the newest count, rising from where it is, would. The line alone would forecast a count
/// that just fell (the shows ended) from where the line still is, minutes before it bends.
///
/// The total is the newest poll's. A flat or falling trend never fires; neither do fewer than
/// `minimumPoints` polls, nor polls all in one second, nor an account already at its total, nor a
/// total of 0: the exhaustion rule speaks for those (an open forecast reaching the total stays open
/// until `mr_concurrency_exhausted` fires).
///
/// Hysteresis: an open alert resolves only once the line puts the exhaustion more than
/// `resolveFactor` times the horizon away (or no longer rises); so a noisy count hovering at the
/// horizon fires once instead of flapping.
public struct ConcurrencyForecast: Sendable {
    /// The fewest polls a trend is fitted to.
    public static let minimumPoints = 5
    /// An open forecast resolves beyond this multiple of the horizon.
    public static let resolveFactor = 1.25

    /// Seconds ahead the forecast looks (`forecast_horizon`).
    public let horizon: Double
    /// The polls it fits, in memory (`forecast_window`).
    public let history: ConcurrencyHistory

    /// A forecast looking `horizon` seconds ahead over polls of the last `window` seconds.
    public init(horizon: Double, window: Double) {
        self.horizon = horizon
        self.history = ConcurrencyHistory(window: window)
    }

    /// The condition after a poll that observed `concurrency` at `observedAt` (whole seconds), the
    /// alert being open (`open`) or not; the sample joins the history.
    public func condition(adding concurrency: MRConcurrency, at observedAt: Int64, open: Bool) -> AlertCondition {
        let sample = ConcurrencySample(observedAt: observedAt, total: concurrency.total, used: concurrency.used)
        return Self.condition(for: history.add(sample), horizon: horizon, open: open)
    }

    /// The condition the samples of a window (oldest first, the newest being the poll at hand) give.
    /// `.unknown` when nothing can be said (too few polls, or all in one second): the alert stays as it is.
    public static func condition(for samples: [ConcurrencySample], horizon: Double, open: Bool) -> AlertCondition {
        guard let newest = samples.last else { return .unknown }
        let inUse = "(\(newest.used) of \(newest.total) in use)"
        guard newest.total > 0 else {
            return .clear(message: "Polyv MR concurrency has a total of 0: no forecast", value: nil)
        }
        guard newest.used < newest.total else {
            // The exhaustion rule's to say. An open forecast stays until that alert fires (after its own `for`).
            let message = "Polyv MR concurrency is at its total \(inUse)"
            return open
                ? .firing(severity: .warning, message: message, value: 0, threshold: horizon)
                : .clear(message: message, value: nil)
        }
        guard samples.count >= minimumPoints, let trend = ConcurrencyTrend(samples) else { return .unknown }
        let noLonger =
            "Polyv MR concurrency no longer runs out within \(DurationParser.format(horizon)) at the current trend \(inUse)"
        guard let onTheLine = trend.secondsUntil(reaching: newest.total) else {
            return .clear(message: noLonger, value: nil)
        }
        // From the newest count as well: a count that just fell is not forecast from where the line still is.
        let fromNewest = (Double(newest.total) - Double(newest.used)) / trend.slope
        guard fromNewest.isFinite else { return .clear(message: noLonger, value: nil) }
        let seconds = max(onTheLine, fromNewest)
        let holds = open ? onTheLine <= horizon * resolveFactor : seconds <= horizon
        guard holds else { return .clear(message: noLonger, value: seconds.rounded()) }
        let when = seconds < 1 ? "now" : "in about \(Self.approximately(seconds))"
        return .firing(
            severity: .warning,
            message:
                "Polyv MR concurrency runs out \(when) at the current trend: \(Self.rate(trend.slope)) \(inUse)",
            value: seconds.rounded(), threshold: horizon)
    }

    /// The message of a forecast that `mr_concurrency_exhausted` took over.
    public static let supersededMessage = "Polyv MR concurrency forecast superseded: mr_concurrency_exhausted fires"
    /// The message of a forecast resolved because `forecast_horizon` became `0s`.
    public static let turnedOffMessage = "Polyv MR concurrency forecast turned off"

    /// A span in words, as precise as a forecast deserves: `40s`, `12m`, `2h35m`.
    static func approximately(_ seconds: Double) -> String {
        let seconds = Seconds.clamped(seconds)
        if seconds < 90 { return DurationParser.format(max(1, seconds.rounded())) }
        return DurationParser.format(max(60, (seconds / 60).rounded() * 60))
    }

    /// A rising slope (streams per second) in words: `+1 stream every 4m`, `+3 streams a minute`.
    static func rate(_ slope: Double) -> String {
        guard slope > 0, slope.isFinite else { return "no rise" }
        let perMinute = slope * 60
        if perMinute <= 1 { return "+1 stream every \(approximately(1 / slope))" }
        let rounded = (perMinute * 10).rounded() / 10
        if rounded <= 1 { return "+1 stream a minute" }
        let text = rounded == rounded.rounded() ? String(Int(min(rounded, 1e15))) : String(rounded)
        return "+\(text) streams a minute"
    }
}
