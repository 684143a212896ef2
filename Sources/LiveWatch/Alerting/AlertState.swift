/// Where one alert (rule, monitor, subject) stands between polls: its open (firing) episode, if
/// any, and its pending condition, if any (a rule with `for` whose condition holds but not yet long
/// enough). Both absent: the alert is quiet. Times are whole seconds since 1970, as stored.
public struct AlertState: Sendable, Equatable {
    /// A firing episode.
    public struct Episode: Sendable, Equatable {
        /// The severity it fires at; nil when the stored word is not a severity livewatch knows.
        public var severity: Severity?
        /// When it started firing.
        public var startedAt: Int64
        /// When its last line was written (the repeat interval counts from here).
        public var lastWrittenAt: Int64
        /// Since when its condition has been clear (`keep_firing_for`); nil while it holds.
        public var clearSince: Int64?
    }

    /// A condition that holds but has not yet held for its rule's `for`.
    public struct Pending: Sendable, Equatable {
        /// The severity it would fire at now; nil when the stored word is not a severity livewatch knows.
        public var severity: Severity?
        /// When the condition started holding.
        public var since: Int64
    }

    /// The open episode, if the alert is firing.
    public var episode: Episode?
    /// The pending condition, if there is one.
    public var pending: Pending?

    /// Neither firing nor pending.
    public static let quiet = AlertState()
}
