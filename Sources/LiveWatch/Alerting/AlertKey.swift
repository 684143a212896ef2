/// An alert's identity: (rule, monitor, subject).
public struct AlertKey: Sendable, Hashable {
    public var rule: AlertRule
    public var monitor: String
    public var subject: String
}
