import Foundation
import SQLite

/// `mr_concurrency_exhausted` for a Polyv monitor.
public struct MRConcurrencyEvaluator: AlertEvaluator {
    public let monitor: String
    public let residualWarning: Int
    public let residualCritical: Int

    public init(monitor: String, residualWarning: Int, residualCritical: Int) {
        self.monitor = monitor
        self.residualWarning = residualWarning
        self.residualCritical = residualCritical
    }

    public func evaluate(_ report: PollReport, in database: Database) throws -> AlertEvaluation {
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
