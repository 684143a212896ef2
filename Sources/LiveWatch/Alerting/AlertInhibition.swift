/// A condition that gives way to another alert: while `by` fires, the condition of `key` is applied as
/// clear, with `message` (the alert book looks at `by` after its own condition of the same evaluation,
/// so `by`'s condition comes first). `for` and `keep_firing_for` apply as to any clearing.
public struct AlertInhibition: Sendable, Equatable {
    /// The alert that gives way.
    public var key: AlertKey
    /// The alert it gives way to.
    public var by: AlertKey
    /// Why it resolves, for its `resolved` line.
    public var message: String

    /// An inhibition of `key` by `by`, resolving with `message`.
    public init(key: AlertKey, by: AlertKey, message: String) {
        self.key = key
        self.by = by
        self.message = message
    }
}
