import Foundation
import Synchronization

/// What decides where alert lines go, beyond the state machine: per-rule
/// lifecycle settings, silences and notifiers. A value, taken once per poll.
public struct AlertPolicy: Sendable {
    public var rules: [AlertRule: AlertRuleSettings]
    public var silences: [Silence]
    public var notifiers: [NotifierConfiguration]
    /// Rows each outbox keeps at most (`daemon.outbox_limit`); beyond it the oldest are dropped.
    public var outboxLimit: Int

    /// A policy from its parts; by default no rule settings, silences or notifiers, and the default outbox limit.
    public init(
        rules: [AlertRule: AlertRuleSettings] = [:], silences: [Silence] = [], notifiers: [NotifierConfiguration] = [],
        outboxLimit: Int = OutboxLimit.defaultLimit
    ) {
        self.rules = rules
        self.silences = silences
        self.notifiers = notifiers
        self.outboxLimit = outboxLimit
    }

    /// The policy a configuration describes.
    public init(configuration: Configuration) {
        self.init(
            rules: configuration.rules, silences: configuration.silences, notifiers: configuration.notifiers,
            outboxLimit: configuration.daemon.outboxLimit)
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
