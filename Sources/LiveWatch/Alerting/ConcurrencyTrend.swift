/// One successful Polyv poll as the forecast reads it: when (whole unix seconds, as stored) and the
/// concurrency then.
public struct ConcurrencySample: Sendable, Equatable {
    /// When the poll observed it, in whole seconds since 1970.
    public var observedAt: Int64
    /// The account's concurrency.
    public var total: Int
    /// The streams holding it.
    public var used: Int

    /// A sample from its parts.
    public init(observedAt: Int64, total: Int, used: Int) {
        self.observedAt = observedAt
        self.total = total
        self.used = used
    }
}

/// The least-squares line through `used` over time: `used ≈ level + slope × (t − reference)`, with
/// `reference` the newest sample's time. A pure function of the samples, computed in two passes
/// around the means (times are taken relative to the newest sample), so that neither unix times nor
/// large counts lose precision.
public struct ConcurrencyTrend: Sendable, Equatable {
    /// Streams per second (positive: rising).
    public let slope: Double
    /// The line's value at `reference`.
    public let level: Double
    /// The newest sample's time, where the line's `level` is taken.
    public let reference: Int64
    /// How many samples the line was fitted to.
    public let points: Int

    /// The line through `samples` (in any order); nil when there is no line: fewer than two samples,
    /// all at one time (a vertical cloud has no slope), or values so extreme the sums are not finite.
    public init?(_ samples: some Collection<ConcurrencySample>) {
        guard samples.count >= 2, let newest = samples.map(\.observedAt).max() else { return nil }
        let count = Double(samples.count)
        var sumX = 0.0
        var sumY = 0.0
        for sample in samples {
            sumX += Double(sample.observedAt &- newest)
            sumY += Double(sample.used)
        }
        let meanX = sumX / count
        let meanY = sumY / count
        var sxx = 0.0
        var sxy = 0.0
        for sample in samples {
            let dx = Double(sample.observedAt &- newest) - meanX
            sxx += dx * dx
            sxy += dx * (Double(sample.used) - meanY)
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        let level = meanY - slope * meanX
        guard slope.isFinite, level.isFinite else { return nil }
        self.slope = slope
        self.level = level
        self.reference = newest
        self.points = samples.count
    }

    /// Seconds from `reference` until the line reaches `total`: 0 when it is already there, nil when
    /// it never will (a flat or falling line).
    public func secondsUntil(reaching total: Int) -> Double? {
        guard slope > 0 else { return nil }
        let seconds = (Double(total) - level) / slope
        guard seconds.isFinite else { return nil }
        return max(0, seconds)
    }
}
