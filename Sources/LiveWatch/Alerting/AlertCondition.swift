/// What an evaluation says about one alert now.
public enum AlertCondition: Sendable, Equatable {
    /// The condition holds at this severity.
    case firing(severity: Severity, message: String, value: Double?, threshold: Double?)
    /// The condition does not hold; `message` explains the resolution.
    case clear(message: String, value: Double?)
    /// Nothing can be said (the poll failed): leave the alert as it is.
    case unknown
}
