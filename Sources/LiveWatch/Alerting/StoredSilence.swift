import Foundation

/// A silence kept in the database (a row of `silences`, added by `livewatch silence add`).
public struct StoredSilence: Sendable, Equatable {
    /// Its id, as `silence expire` takes it.
    public var id: Int64
    /// The monitor it silences.
    public var monitor: String
    /// The rule it silences; nil: any.
    public var rule: String?
    /// The subject it silences; nil: any.
    public var subject: String?
    /// When it starts.
    public var startsAt: Date
    /// When it ends, unless expired before.
    public var endsAt: Date
    /// Why it exists.
    public var comment: String
    /// Who added it.
    public var createdBy: String
    /// When it was added.
    public var createdAt: Date
    /// When `silence expire` ended it; nil if it was not.
    public var expiredAt: Date?

    /// Where a stored silence stands at a moment.
    public enum State: String, Sendable {
        /// It has not started yet.
        case pending
        /// It silences matching alerts now.
        case active
        /// `silence expire` ended it.
        case expired
        /// Its end has passed.
        case ended
    }

    /// Its state at `date`.
    public func state(at date: Date) -> State {
        if let expiredAt, expiredAt <= date { return .expired }
        if endsAt <= date { return .ended }
        return startsAt <= date ? .active : .pending
    }

    /// When it stops silencing: its end, or when it was expired if that came first.
    public var stopsAt: Date {
        expiredAt.map { min($0, endsAt) } ?? endsAt
    }

    /// The name `livewatch alerts` shows for it: `id N`.
    public var name: String { "id \(id)" }

    /// The same silence as a configured one matches: its monitor, its rule and subject if given, from its start
    /// until it ends or is expired. A rule this build does not know matches nothing.
    public var silence: Silence {
        var rules: Set<AlertRule>?
        if let rule { rules = AlertRule(rawValue: rule).map { Set([$0]) } ?? Set() }
        return Silence(
            name: name, rules: rules, monitors: [monitor], subjects: subject.map { [$0] },
            window: .between(start: startsAt, end: stopsAt), comment: comment)
    }
}
