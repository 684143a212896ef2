/// A one-off event for the alert log (state `notice`).
public struct AlertNotice: Sendable, Equatable {
    public var key: AlertKey
    public var severity: Severity = .info
    public var message: String
}
