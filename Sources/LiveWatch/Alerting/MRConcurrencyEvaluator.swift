import Foundation

/// `mr_concurrency_exhausted` and `mr_concurrency_forecast` for a Polyv monitor.
public struct MRConcurrencyEvaluator: AlertEvaluator {
    /// The monitor's name (the alert's monitor and subject).
    public let monitor: String
    /// Warning at or below this many channels left.
    public let residualWarning: Int
    /// Critical at or below this many channels left.
    public let residualCritical: Int
    /// The forecast; nil when it is off (`forecast_horizon: 0s`).
    public let forecast: ConcurrencyForecast?

    /// An evaluator of `monitor`'s concurrency, with the forecast when given.
    public init(monitor: String, residualWarning: Int, residualCritical: Int, forecast: ConcurrencyForecast? = nil) {
        self.monitor = monitor
        self.residualWarning = residualWarning
        self.residualCritical = residualCritical
        self.forecast = forecast
    }

    /// It compares nothing with the past.
    public var comparesWithPrevious: Bool { false }
    /// Whether the forecast fires now: its hysteresis depends on it, and a forecast turned off resolves.
    public var rulesResolvingVanishedSubjects: [AlertRule] { [.mrConcurrencyForecast] }
    /// The forecast's samples.
    public var concurrencyHistory: ConcurrencyHistory? { forecast?.history }

    /// The concurrency condition of a successful poll, then the forecast's (which gives way to
    /// `mr_concurrency_exhausted` firing); unknown when the poll failed.
    public func evaluate(_ report: PollReport, previous: Observation?, openSubjects: [AlertRule: [String]])
        -> AlertEvaluation
    {
        let key = AlertKey(rule: .mrConcurrencyExhausted, monitor: monitor, subject: monitor)
        let forecastKey = AlertKey(rule: .mrConcurrencyForecast, monitor: monitor, subject: monitor)
        guard case .observed(.mrConcurrency(let concurrency)) = report.outcome else {
            return AlertEvaluation(conditions: [(key, .unknown), (forecastKey, .unknown)])
        }
        var evaluation = AlertEvaluation(conditions: [(key, condition(for: concurrency))])
        let open = openSubjects[.mrConcurrencyForecast]?.contains(monitor) ?? false
        if let forecast {
            // As stored: whole seconds, rounded down.
            let observedAt = Int64(exactly: report.finishedAt.timeIntervalSince1970.rounded(.down)) ?? 0
            evaluation.conditions.append(
                (forecastKey, forecast.condition(adding: concurrency, at: observedAt, open: open)))
        } else if open {
            evaluation.conditions.append(
                (forecastKey, .clear(message: ConcurrencyForecast.turnedOffMessage, value: nil)))
        }
        evaluation.inhibitions = [
            AlertInhibition(key: forecastKey, by: key, message: ConcurrencyForecast.supersededMessage)
        ]
        return evaluation
    }

    /// The condition for one observation.
    public func condition(for concurrency: MRConcurrency) -> AlertCondition {
        let residual = Double(concurrency.residual)
        let summary = "\(concurrency.residual) of \(concurrency.total) left"
        if concurrency.residual <= residualCritical {
            return .firing(
                severity: .critical, message: "Polyv MR concurrency exhausted: \(summary)",
                value: residual, threshold: Double(residualCritical))
        }
        if concurrency.residual <= residualWarning {
            return .firing(
                severity: .warning, message: "Polyv MR concurrency running low: \(summary)",
                value: residual, threshold: Double(residualWarning))
        }
        return .clear(message: "Polyv MR concurrency available again: \(summary)", value: residual)
    }
}
