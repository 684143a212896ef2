import Foundation

/// One line of the alert log (INTERFACES section 3).
public struct AlertLine: Sendable, Equatable {
    /// `firing`, `resolved` or `notice`.
    public enum State: String, Sendable {
        case firing
        case resolved
        case notice
    }

    public var time: Date
    public var state: State
    public var severity: Severity
    public var rule: AlertRule
    public var monitor: String
    public var subject: String
    public var message: String
    public var value: Double?
    public var threshold: Double?

    public init(
        time: Date, state: State, severity: Severity, rule: AlertRule, monitor: String, subject: String,
        message: String, value: Double? = nil, threshold: Double? = nil
    ) {
        self.time = time
        self.state = state
        self.severity = severity
        self.rule = rule
        self.monitor = monitor
        self.subject = subject
        self.message = message
        self.value = value
        self.threshold = threshold
    }

    /// The JSON object, keys in the documented order, without a trailing newline.
    public var json: String {
        var fields = [
            "\"time\":\(JSONText.quote(Self.rfc3339(time)))",
            "\"state\":\(JSONText.quote(state.rawValue))",
            "\"severity\":\(JSONText.quote(severity.rawValue))",
            "\"rule\":\(JSONText.quote(rule.rawValue))",
            "\"monitor\":\(JSONText.quote(monitor))",
            "\"subject\":\(JSONText.quote(subject))",
            "\"message\":\(JSONText.quote(message))",
        ]
        if let value { fields.append("\"value\":\(Self.number(value))") }
        if let threshold { fields.append("\"threshold\":\(Self.number(threshold))") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// RFC 3339 in UTC with whole seconds: `2026-11-22T01:30:00Z`.
    public static func rfc3339(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1,
            parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
