import Foundation
import SQLite

/// What one poll means for alerts: conditions for the state machine and one-off notices.
public struct AlertEvaluation: Sendable {
    public var conditions: [(AlertKey, AlertCondition)]
    public var notices: [AlertNotice]

    public init(conditions: [(AlertKey, AlertCondition)] = [], notices: [AlertNotice] = []) {
        self.conditions = conditions
        self.notices = notices
    }
}

/// Turns a monitor's poll report into alert conditions. It runs inside the
/// poll's transaction, before the observation is stored, so it can compare
/// with the previous observation.
public protocol AlertEvaluator: Sendable {
    func evaluate(_ report: PollReport, in database: Database) throws -> AlertEvaluation
}

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
