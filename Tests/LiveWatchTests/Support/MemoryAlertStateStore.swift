import Foundation

@testable import LiveWatch

/// Alert state in memory, shaped like the `alerts` and `alert_pending` tables (one record per
/// episode, pending alerts by key), for testing the book without SQLite.
final class MemoryAlertStateStore: AlertStateStore {
    /// One episode: a row of `alerts`.
    struct Episode: Equatable {
        var key: AlertKey
        var severity: Severity?
        var firing: Bool
        var startedAt: Int64
        var resolvedAt: Int64?
        var lastValue: Double?
        var message: String
        var threshold: Double?
        var lastWrittenAt: Int64
        var clearSince: Int64?
    }

    private(set) var episodes: [Episode] = []
    private(set) var pending: [AlertKey: AlertState.Pending] = [:]
    /// Every change saved, in order.
    private(set) var changes: [(AlertKey, AlertStateChange)] = []

    /// The firing episodes, oldest first.
    var firing: [Episode] { episodes.filter(\.firing) }

    func states(of keys: [AlertKey]) throws -> [AlertKey: AlertState] {
        var states: [AlertKey: AlertState] = [:]
        for key in keys {
            let episode = episodes.first { $0.key == key && $0.firing }.map {
                AlertState.Episode(
                    severity: $0.severity, startedAt: $0.startedAt, lastWrittenAt: $0.lastWrittenAt,
                    clearSince: $0.clearSince)
            }
            let state = AlertState(episode: episode, pending: pending[key])
            if state != .quiet { states[key] = state }
        }
        return states
    }

    func save(_ change: AlertStateChange, for key: AlertKey) throws {
        changes.append((key, change))
        let open = episodes.firstIndex { $0.key == key && $0.firing }
        switch change {
        case .pendingStarted(let severity, let since):
            pending[key] = AlertState.Pending(severity: severity, since: since)
        case .pendingSeverityChanged(let severity):
            pending[key]?.severity = severity
        case .pendingDropped:
            pending[key] = nil
        case .opened(let severity, let startedAt, let value, let message, let threshold):
            episodes.append(
                Episode(
                    key: key, severity: severity, firing: true, startedAt: startedAt, lastValue: value,
                    message: message,
                    threshold: threshold, lastWrittenAt: startedAt))
        case .stillFiring(let severity, let value, let message, let threshold, let lastWrittenAt):
            guard let open else { return }
            episodes[open].severity = severity
            episodes[open].lastValue = value
            episodes[open].message = message
            episodes[open].threshold = threshold
            episodes[open].lastWrittenAt = lastWrittenAt
            episodes[open].clearSince = nil
        case .clearing(let since, let value):
            guard let open else { return }
            episodes[open].clearSince = since
            episodes[open].lastValue = value
        case .resolved(let at, let value, let message):
            guard let open else { return }
            episodes[open].firing = false
            episodes[open].resolvedAt = at
            episodes[open].lastValue = value
            episodes[open].message = message
            episodes[open].clearSince = nil
        }
    }

    func openSubjects(rule: AlertRule, monitor: String) throws -> [String] {
        firing.filter { $0.key.rule == rule && $0.key.monitor == monitor }.map(\.key.subject).sorted()
    }

    func pendingKeys(of monitor: String) throws -> [AlertKey] {
        pending.keys.filter { $0.monitor == monitor }.sorted {
            ($0.rule.rawValue, $0.subject) < ($1.rule.rawValue, $1.subject)
        }
    }
}
