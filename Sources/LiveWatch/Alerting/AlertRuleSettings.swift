/// Per-rule lifecycle settings (the `rules:` section).
public struct AlertRuleSettings: Sendable, Equatable {
    /// The condition must hold this long (seconds) before the alert fires; until then it is pending.
    public var pendingFor: Double = 0
    /// Once firing, the condition must stay clear this long (seconds) before the alert resolves.
    public var keepFiringFor: Double = 0

    /// Rules that only ever write notices, where `for` and `keep_firing_for` mean nothing.
    public static let noticeRules: Set<AlertRule> = [
        .viewingRestrictionChanged, .liveClientLinkChanged, .platformConfigChanged, .platformCallbackInsecure,
    ]
}
