/// What one poll means for alerts: conditions for the state machine and one-off notices.
public struct AlertEvaluation: Sendable {
    /// What each alert's condition is now, in order.
    public var conditions: [(AlertKey, AlertCondition)]
    /// One-off events for the alert log.
    public var notices: [AlertNotice]
    /// Conditions that give way to other alerts firing.
    public var inhibitions: [AlertInhibition] = []

    /// An evaluation from its parts; by default nothing.
    public init(conditions: [(AlertKey, AlertCondition)] = [], notices: [AlertNotice] = []) {
        self.conditions = conditions
        self.notices = notices
    }
}
