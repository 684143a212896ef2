import Foundation

/// Turns a monitor's poll report into alert conditions and notices, without reading anything:
/// what it compares with is handed to it. The recorder reads, inside the poll's transaction and
/// before the new observation is stored, the monitor's previous observation (when
/// `comparesWithPrevious`) and the subjects of `rulesResolvingVanishedSubjects` firing now, and
/// only for a successful poll.
public protocol AlertEvaluator: Sendable {
    /// True when `evaluate` compares an observation with the monitor's previous one.
    var comparesWithPrevious: Bool { get }
    /// The rules whose firing subjects `evaluate` is handed, to resolve those no longer observed.
    var rulesResolvingVanishedSubjects: [AlertRule] { get }
    /// The MR concurrency samples of recent polls `evaluate` adds to and fits a trend to, if any (see the extension).
    var concurrencyHistory: ConcurrencyHistory? { get }
    /// What `report` means for alerts, given the monitor's `previous` observation (nil: none stored,
    /// or not asked for) and the firing subjects of `rulesResolvingVanishedSubjects` (`openSubjects`).
    func evaluate(_ report: PollReport, previous: Observation?, openSubjects: [AlertRule: [String]]) -> AlertEvaluation
}

/// An evaluator whose rules read recent history kept in memory (the forecast) declares it; the
/// recorder loads it from the store, inside the poll's transaction and before the new observation is
/// stored, whenever it `needsLoading`.
extension AlertEvaluator {
    /// None, unless the evaluator says otherwise.
    public var concurrencyHistory: ConcurrencyHistory? { nil }
}
