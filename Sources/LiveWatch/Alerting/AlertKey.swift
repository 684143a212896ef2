/// An alert's identity: (rule, monitor, subject).
public struct AlertKey: Sendable, Hashable {
    public var rule: AlertRule
    public var monitor: String
    public var subject: String

    public init(rule: AlertRule, monitor: String, subject: String) {
        self.rule = rule
        self.monitor = monitor
        self.subject = subject
    }
}
