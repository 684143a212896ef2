/// A one-off event for the alert log (state `notice`).
public struct AlertNotice: Sendable, Equatable {
    public var key: AlertKey
    public var severity: Severity
    public var message: String

    public init(key: AlertKey, severity: Severity = .info, message: String) {
        self.key = key
        self.severity = severity
        self.message = message
    }
}
