import Foundation

/// The alert state machine over a store of alert state: given what an evaluation says about each
/// alert, it opens, escalates, repeats and resolves episodes (see `AlertTransition`) and returns the
/// lines to write. The daemon's store works inside the poll's write transaction, so the state and
/// the observation are committed together.
///
/// With a rule's `for`, a condition first becomes pending and fires only once it has held that
/// long; with `keep_firing_for`, a firing alert resolves only after its condition has stayed clear that long.
public struct AlertBook: Sendable {
    /// How often a still-firing alert is written again, in seconds.
    public var repeatInterval: Double
    /// Lifecycle settings per rule; a rule not listed fires and resolves at once.
    public var rules: [AlertRule: AlertRuleSettings]

    /// A book writing firing alerts again every `repeatInterval` seconds, with `rules`' lifecycle settings.
    public init(repeatInterval: Double, rules: [AlertRule: AlertRuleSettings] = [:]) {
        self.repeatInterval = repeatInterval
        self.rules = rules
    }

    /// Applies `conditions` in order at `now`, recording every change in `store`; returns the alert-log lines, in order.
    ///
    /// - Parameter monitor: when given (a successful poll of that monitor), pending alerts of the
    ///   monitor that no condition mentions any more are dropped: their subject went away.
    /// - Parameter inhibitions: conditions that clear while another alert fires (after its own condition).
    public func apply(
        _ conditions: [(AlertKey, AlertCondition)], now: Date, store: some AlertStateStore,
        pruningPendingOf monitor: String? = nil, inhibitions: [AlertInhibition] = []
    ) throws -> [AlertLine] {
        var lines: [AlertLine] = []
        var states = try store.states(
            of: conditions.compactMap { $0.1 == .unknown ? nil : $0.0 } + inhibitions.map(\.by))
        for (key, given) in conditions where given != .unknown {
            var condition = given
            if let inhibition = inhibitions.first(where: { $0.key == key && states[$0.by]?.episode != nil }) {
                switch given {
                case .firing(_, _, let value, _), .clear(_, let value):
                    condition = .clear(message: inhibition.message, value: value)
                case .unknown: break
                }
            }
            let transition = AlertTransition(
                from: states[key] ?? .quiet, key: key, condition: condition,
                settings: rules[key.rule] ?? AlertRuleSettings(),
                repeatInterval: repeatInterval, now: now)
            for change in transition.changes {
                try store.save(change, for: key)
            }
            states[key] = transition.state
            if let line = transition.line { lines.append(line) }
        }
        if let monitor {
            let mentioned = Set(conditions.map(\.0))
            for key in try store.pendingKeys(of: monitor) where !mentioned.contains(key) {
                try store.save(.pendingDropped, for: key)
            }
        }
        return lines
    }
}
