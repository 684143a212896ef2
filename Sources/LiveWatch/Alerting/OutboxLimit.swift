import Foundation

/// Keeps the outboxes bounded: `alert_log_outbox` (lines the alert log could not take yet) and
/// each notifier's rows of `notification_outbox` (notifications it could not deliver yet) hold at
/// most `daemon.outbox_limit` rows each.
///
/// Beyond the limit the oldest rows are dropped, resolutions last: a receiver told of a firing
/// still gets its resolution, unless nothing but resolutions is queued. Drops are counted (shown by
/// `livewatch alerts`). When an outbox starts dropping, one critical notice (`monitor_failing`,
/// monitor `livewatch`) goes to the alert log; the next one only after that outbox has been below
/// its limit again. `OutboxTrimmer` does the trimming and counting in the database; this is the policy.
public enum OutboxLimit {
    /// `daemon.outbox_limit` when the configuration does not set it.
    public static let defaultLimit = 10_000
    /// The `monitor` of the notices about dropping: livewatch itself, not one of its monitors.
    public static let noticeMonitor = "livewatch"

    /// One bounded queue.
    public enum Queue: Sendable, Hashable {
        /// `alert_log_outbox`.
        case alertLog
        /// The rows of one notifier in `notification_outbox`.
        case notifier(String)

        /// The subject of the notice about this queue.
        var subject: String {
            switch self {
            case .alertLog: return "alert_log_outbox"
            case .notifier(let name): return "notification_outbox/\(name)"
            }
        }
    }

    /// The critical notice that `queue` reached its `limit` at `now` and started dropping rows.
    static func notice(_ queue: Queue, limit: Int, at now: Date) -> AlertLine {
        let message: String
        switch queue {
        case .alertLog:
            message =
                "the alert log cannot be written and its outbox reached its limit of \(limit) lines: "
                + "the oldest lines are being dropped (livewatch alerts counts them)"
        case .notifier(let name):
            message =
                "notifier \(name) cannot deliver and its outbox reached its limit of \(limit) notifications: "
                + "the oldest are being dropped (livewatch alerts counts them)"
        }
        return AlertLine(
            time: now, state: .notice, severity: .critical, rule: .monitorFailing, monitor: noticeMonitor,
            subject: queue.subject, message: message)
    }
}
