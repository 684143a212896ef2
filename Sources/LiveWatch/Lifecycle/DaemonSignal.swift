/// What the daemon is asked to do from outside.
public enum DaemonSignal: Sendable {
    /// SIGTERM or SIGINT: stop cleanly.
    case stop
    /// SIGHUP: reload the configuration and reopen the alert log.
    case reload
}
