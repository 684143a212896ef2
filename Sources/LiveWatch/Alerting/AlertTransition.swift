import Foundation

/// What one condition does to one alert at one moment: a pure function of the alert's state, the
/// condition, its rule's settings, the repeat interval and the time. It gives the new state, the
/// alert-log line to write (if any) and the changes its store has to record.
///
/// - Firing, not open: with the rule's `for`, the alert first becomes pending and opens only once
///   the condition has held that long (the pending condition follows the latest severity);
///   without it, it opens at once. Opening writes a `firing` line.
/// - Firing, open: the episode's details are refreshed; a line is written when the severity changed
///   or the last line is at least the repeat interval old. A clearing under `keep_firing_for` is forgotten.
/// - Clear, not open: a pending condition is dropped.
/// - Clear, open: with `keep_firing_for`, the episode resolves only once the condition has stayed
///   clear that long; then a `resolved` line, its message ending "(fired for 7s)".
/// - Unknown: nothing changes.
public struct AlertTransition: Sendable, Equatable {
    /// The alert's state afterwards.
    public var state: AlertState
    /// The alert-log line to write, if any.
    public var line: AlertLine?
    /// What the store records, in order (empty when nothing changed).
    public var changes: [AlertStateChange]

    /// The transition of the alert `key` from `state` under `condition` at `now`.
    public init(
        from state: AlertState, key: AlertKey, condition: AlertCondition, settings: AlertRuleSettings,
        repeatInterval: Double, now: Date
    ) {
        self.state = state
        self.line = nil
        self.changes = []
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        switch condition {
        case .unknown:
            return
        case .firing(let severity, let message, let value, let threshold):
            let line = AlertLine(
                time: now, state: .firing, severity: severity, rule: key.rule, monitor: key.monitor,
                subject: key.subject,
                message: message, value: value, threshold: threshold)
            guard let open = state.episode else {
                if settings.pendingFor > 0 {
                    guard let pending = state.pending else {
                        self.state.pending = AlertState.Pending(severity: severity, since: nowSeconds)
                        changes = [.pendingStarted(severity: severity, since: nowSeconds)]
                        return
                    }
                    guard Double(nowSeconds - pending.since) >= settings.pendingFor else {
                        self.state.pending?.severity = severity
                        changes = [.pendingSeverityChanged(severity)]
                        return
                    }
                }
                if state.pending != nil { changes.append(.pendingDropped) }
                changes.append(
                    .opened(
                        severity: severity, startedAt: nowSeconds, value: value, message: message, threshold: threshold)
                )
                self.state = AlertState(
                    episode: AlertState.Episode(severity: severity, startedAt: nowSeconds, lastWrittenAt: nowSeconds))
                self.line = line
                return
            }
            let changed = open.severity != severity
            let due = Double(nowSeconds - open.lastWrittenAt) >= repeatInterval
            let written = changed || due ? nowSeconds : open.lastWrittenAt
            self.state.episode = AlertState.Episode(
                severity: severity, startedAt: open.startedAt, lastWrittenAt: written)
            changes = [
                .stillFiring(
                    severity: severity, value: value, message: message, threshold: threshold, lastWrittenAt: written)
            ]
            if changed || due { self.line = line }
        case .clear(let message, let value):
            guard let open = state.episode else {
                if state.pending != nil {
                    self.state.pending = nil
                    changes = [.pendingDropped]
                }
                return
            }
            if settings.keepFiringFor > 0 {
                guard let clearSince = open.clearSince else {
                    self.state.episode?.clearSince = nowSeconds
                    changes = [.clearing(since: nowSeconds, value: value)]
                    return
                }
                guard Double(nowSeconds - clearSince) >= settings.keepFiringFor else { return }
            }
            let fullMessage =
                message + " (fired for \(DurationParser.format(Double(max(0, nowSeconds - open.startedAt)))))"
            self.state.episode = nil
            changes = [.resolved(at: nowSeconds, value: value, message: fullMessage)]
            self.line = AlertLine(
                time: now, state: .resolved, severity: open.severity ?? .warning, rule: key.rule, monitor: key.monitor,
                subject: key.subject, message: fullMessage, value: value)
        }
    }
}
