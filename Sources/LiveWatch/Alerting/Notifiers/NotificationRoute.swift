/// What one alert-log line means for one notifier that accepts its rule and monitor: whether it is
/// sent, and what the notifier is known to have been told of afterwards. Pure.
///
/// A firing or notice line goes to notifiers whose `min_severity` it meets; a notifier told of a
/// firing episode also gets its later lines (a lower severity, the resolution), so a resolution
/// always follows its firing. A silenced line goes nowhere (the episode still ends for a notifier
/// told of it).
public struct NotificationRoute: Sendable, Equatable {
    /// The line is queued for the notifier.
    public var send: Bool
    /// The notifier is now told of this firing episode (it was not before).
    public var remember: Bool
    /// The episode the notifier was told of is over for it.
    public var forget: Bool

    /// The route of `line` to `notifier`, which was (`notified`) or was not told of the line's
    /// episode firing; `notified` is ignored for notices, which belong to no episode.
    public init(line: AlertLine, silenced: Bool, notifier: NotifierConfiguration, notified: Bool) {
        let notified = line.state != .notice && notified
        var send: Bool
        switch line.state {
        case .notice: send = line.severity >= notifier.minSeverity
        case .firing: send = notified || line.severity >= notifier.minSeverity
        case .resolved: send = notified
        }
        if silenced { send = false }
        self.send = send
        self.remember = send && line.state == .firing && !notified
        self.forget = line.state == .resolved && notified
    }
}
