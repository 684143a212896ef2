/// One step of an alert's state for its store to record, in the order the transitions made them.
/// Times are whole seconds since 1970.
public enum AlertStateChange: Sendable, Equatable {
    /// The condition started holding; the alert waits for its rule's `for` before firing.
    case pendingStarted(severity: Severity, since: Int64)
    /// Still pending, now at `severity`.
    case pendingSeverityChanged(Severity)
    /// The pending condition is gone: it fired, it cleared, or its subject went away.
    case pendingDropped
    /// A firing episode began.
    case opened(severity: Severity, startedAt: Int64, value: Double?, message: String, threshold: Double?)
    /// The open episode still fires: its details as of now, its line last written at `lastWrittenAt`,
    /// and any clearing under `keep_firing_for` forgotten.
    case stillFiring(severity: Severity, value: Double?, message: String, threshold: Double?, lastWrittenAt: Int64)
    /// The open episode's condition cleared at `since`; under `keep_firing_for` it resolves only later.
    case clearing(since: Int64, value: Double?)
    /// The open episode ended at `at`, with its resolution message (which says how long it fired).
    case resolved(at: Int64, value: Double?, message: String)
}
