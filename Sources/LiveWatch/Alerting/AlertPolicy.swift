import Foundation
import Synchronization

/// What decides where alert lines go, beyond the state machine: per-rule
/// lifecycle settings, silences and notifiers. A value, taken once per poll.
public struct AlertPolicy: Sendable {
    public var rules: [AlertRule: AlertRuleSettings]
    public var silences: [Silence]
    public var notifiers: [NotifierConfiguration]

    public init(rules: [AlertRule: AlertRuleSettings] = [:], silences: [Silence] = [], notifiers: [NotifierConfiguration] = []) {
        self.rules = rules
        self.silences = silences
        self.notifiers = notifiers
    }

    /// The policy a configuration describes.
    public init(configuration: Configuration) {
        self.init(rules: configuration.rules, silences: configuration.silences, notifiers: configuration.notifiers)
    }

    /// The first silence covering `line`, if any.
    public func silence(for line: AlertLine) -> Silence? {
        silences.first { $0.matches(line) }
    }

    /// True when a silence covers this alert at `date`.
    public func isSilenced(rule: AlertRule, monitor: String, subject: String, at date: Date) -> Bool {
        silences.contains { $0.matches(rule: rule, monitor: monitor, subject: subject, at: date) }
    }
}

/// The running daemon's policy, replaced as a whole on SIGHUP and read by every poll.
public final class AlertPolicyBox: Sendable {
    private let state: Mutex<AlertPolicy>

    public init(_ policy: AlertPolicy = AlertPolicy()) {
        state = Mutex(policy)
    }

    /// The policy now.
    public var current: AlertPolicy { state.withLock { $0 } }

    /// Replaces the policy (SIGHUP).
    public func update(_ policy: AlertPolicy) {
        state.withLock { $0 = policy }
    }
}
