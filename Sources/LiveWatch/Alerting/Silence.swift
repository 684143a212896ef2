import Foundation

/// A silence (an item of `silences:`): while it is active, matching alert-log
/// lines are still written, marked `"silenced":true`, but reach no notifier.
public struct Silence: Sendable, Equatable {
    /// When a silence is active.
    public enum Window: Sendable, Equatable {
        /// From `start` (nil: always started) until `end`.
        case between(start: Date?, end: Date)
        /// Every day (or on `weekdays`) from `from` to `to`, minutes after local midnight in `timeZone`.
        /// `to` below `from` crosses midnight; `weekdays` (1 = Sunday ... 7 = Saturday) name the day the window opens.
        case daily(from: Int, to: Int, timeZone: TimeZone, weekdays: Set<Int>?)
    }

    /// A name for messages and `livewatch alerts`.
    public var name: String
    /// Matchers; nil matches anything. Every matcher given must match.
    public var rules: Set<AlertRule>?
    public var monitors: Set<String>?
    public var subjects: Set<String>?
    public var window: Window
    /// Why the silence exists (free text).
    public var comment: String?

    /// True when the silence covers this alert at `date`.
    public func matches(rule: AlertRule, monitor: String, subject: String, at date: Date) -> Bool {
        (rules?.contains(rule) ?? true) && (monitors?.contains(monitor) ?? true)
            && (subjects?.contains(subject) ?? true) && isActive(at: date)
    }

    /// True when the silence covers `line` at the line's time.
    public func matches(_ line: AlertLine) -> Bool {
        matches(rule: line.rule, monitor: line.monitor, subject: line.subject, at: line.time)
    }

    /// True when the window is open at `date`.
    public func isActive(at date: Date) -> Bool {
        switch window {
        case .between(let start, let end):
            return (start.map { date >= $0 } ?? true) && date < end
        case .daily(let from, let to, let timeZone, let weekdays):
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            let parts = calendar.dateComponents([.hour, .minute, .weekday], from: date)
            let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
            let today = parts.weekday ?? 1
            let yesterday = (today + 5) % 7 + 1
            func opens(on weekday: Int) -> Bool { weekdays?.contains(weekday) ?? true }
            if from < to { return minute >= from && minute < to && opens(on: today) }
            return (minute >= from && opens(on: today)) || (minute < to && opens(on: yesterday))
        }
    }

    /// True when the window can never open again after `date` (an absolute window that ended).
    public func hasEnded(at date: Date) -> Bool {
        if case .between(_, let end) = window { return end <= date }
        return false
    }
}

extension AlertLine {
    /// The JSON line, with `"silenced":true` added last when `silenced`.
    public func json(silenced: Bool) -> String {
        let plain = json
        guard silenced else { return plain }
        return String(plain.dropLast()) + ",\"silenced\":true}"
    }
}
