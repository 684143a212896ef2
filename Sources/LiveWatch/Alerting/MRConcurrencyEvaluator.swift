import Foundation

/// `mr_concurrency_exhausted` for a Polyv monitor.
public struct MRConcurrencyEvaluator: AlertEvaluator {
    /// The monitor's name (the alert's monitor and subject).
    public let monitor: String
    /// Warning at or below this many channels left.
    public let residualWarning: Int
    /// Critical at or below this many channels left.
    public let residualCritical: Int

    /// It compares nothing with the past.
    public var comparesWithPrevious: Bool { false }
    /// It has one subject, the monitor itself.
    public var rulesResolvingVanishedSubjects: [AlertRule] { [] }

    /// The concurrency condition of a successful poll; unknown when the poll failed.
    public func evaluate(_ report: PollReport, previous: Observation?, openSubjects: [AlertRule: [String]])
        -> AlertEvaluation
    {
        let key = AlertKey(rule: .mrConcurrencyExhausted, monitor: monitor, subject: monitor)
        guard case .observed(.mrConcurrency(let concurrency)) = report.outcome else {
            return AlertEvaluation(conditions: [(key, .unknown)])
        }
        return AlertEvaluation(conditions: [(key, condition(for: concurrency))])
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
