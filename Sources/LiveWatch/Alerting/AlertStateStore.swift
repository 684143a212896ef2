/// Where the alert book keeps alert state between polls. The daemon's store is SQLite
/// (`SQLiteAlertStateStore`, the `alerts` and `alert_pending` tables, inside the poll's transaction);
/// the book itself never sees how.
public protocol AlertStateStore {
    /// The state of each of `keys` (quiet ones may be left out).
    func states(of keys: [AlertKey]) throws -> [AlertKey: AlertState]
    /// Records one change of `key`'s state, after every change made before it.
    func save(_ change: AlertStateChange, for key: AlertKey) throws
    /// The subjects of `rule` firing on `monitor`, in order.
    func openSubjects(rule: AlertRule, monitor: String) throws -> [String]
    /// The alerts of `monitor` that are pending now.
    func pendingKeys(of monitor: String) throws -> [AlertKey]
}
