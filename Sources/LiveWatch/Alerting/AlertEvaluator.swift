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
