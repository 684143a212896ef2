import Foundation

/// One alert-log line on its way to a notifier, with the start of its episode:
/// everything a payload builder needs.
public struct AlertNotification: Sendable, Equatable {
    /// The line as it was written to the alert log.
    public var line: AlertLine
    /// When the episode started firing (the line's own time for a notice).
    public var startedAt: Date

    /// `rule monitor` or `rule monitor/subject` when the subject is not the monitor itself.
    public var alertName: String {
        let target = line.subject == line.monitor ? line.monitor : "\(line.monitor)/\(line.subject)"
        return "\(line.rule.rawValue) \(target)"
    }

    /// One-line summary, e.g. `livewatch FIRING critical: mr_concurrency_exhausted polyv-main`.
    /// It always holds the word "livewatch", so a DingTalk robot's keyword check can use it.
    public var headline: String {
        switch line.state {
        case .firing: return "livewatch FIRING \(line.severity.rawValue): \(alertName)"
        case .resolved: return "livewatch RESOLVED: \(alertName)"
        case .notice: return "livewatch NOTICE \(line.severity.rawValue): \(alertName)"
        }
    }

    /// The lines under the headline: the message, the numbers, the times.
    public var details: [String] {
        var details = [line.message]
        var numbers: [String] = []
        if let value = line.value { numbers.append("value \(AlertLine.number(value))") }
        if let threshold = line.threshold { numbers.append("threshold \(AlertLine.number(threshold))") }
        if !numbers.isEmpty { details.append(numbers.joined(separator: ", ")) }
        switch line.state {
        case .firing: details.append("firing since \(AlertLine.rfc3339(startedAt))")
        case .resolved:
            details.append("resolved at \(AlertLine.rfc3339(line.time)), fired since \(AlertLine.rfc3339(startedAt))")
        case .notice: details.append("at \(AlertLine.rfc3339(line.time))")
        }
        return details
    }

    /// Headline and details as plain text.
    public var plainText: String { ([headline] + details).joined(separator: "\n") }
}

extension AlertLine {
    /// Reads back a line written by `json` (nil when it is not one).
    public init?(json text: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let time = (object["time"] as? String).flatMap(Self.parseRFC3339),
            let state = (object["state"] as? String).flatMap(State.init(rawValue:)),
            let severity = (object["severity"] as? String).flatMap(Severity.init(rawValue:)),
            let rule = (object["rule"] as? String).flatMap(AlertRule.init(rawValue:)),
            let monitor = object["monitor"] as? String, let subject = object["subject"] as? String,
            let message = object["message"] as? String
        else { return nil }
        self.init(
            time: time, state: state, severity: severity, rule: rule, monitor: monitor, subject: subject,
            message: message, value: (object["value"] as? NSNumber)?.doubleValue,
            threshold: (object["threshold"] as? NSNumber)?.doubleValue)
    }

    /// Parses `2026-11-22T01:30:00Z` (or with an offset, or fractional seconds).
    public static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
