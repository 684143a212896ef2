/// What a SIGHUP changes in the schedule: monitors added, changed (restarted with a first poll at
/// once) and removed. A change to the daemon's own settings (except `database`, `alert_log` and
/// `listen`, which need a restart) restarts every monitor; alert state lives in the database, so nothing is lost.
struct ReloadPlan: Equatable, Sendable {
    /// Monitors new in the configuration, in its order.
    var added: [String] = []
    /// Monitors whose settings (or the daemon's) changed, in the configuration's order.
    var changed: [String] = []
    /// Monitors no longer configured, by name.
    var removed: [String] = []

    /// Compares the running configuration with the one read on SIGHUP.
    init(from old: Configuration, to new: Configuration) {
        let oldMonitors = Dictionary(old.monitors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let newNames = Set(new.monitors.map(\.name))
        var daemonSettings = new.daemon
        daemonSettings.database = old.daemon.database
        daemonSettings.alertLog = old.daemon.alertLog
        daemonSettings.listen = old.daemon.listen
        let everythingChanged = daemonSettings != old.daemon
        removed = oldMonitors.keys.sorted().filter { !newNames.contains($0) }
        for monitor in new.monitors {
            if let previous = oldMonitors[monitor.name] {
                if everythingChanged || previous != monitor { changed.append(monitor.name) }
            } else {
                added.append(monitor.name)
            }
        }
    }

    /// True for a monitor whose job must be (re)started.
    func starts(_ name: String) -> Bool { added.contains(name) || changed.contains(name) }
}
