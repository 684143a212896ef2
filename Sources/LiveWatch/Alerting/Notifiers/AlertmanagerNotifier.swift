import Foundation

/// `type: alertmanager`: POST `{url}/api/v2/alerts`. Firing alerts are sent
/// again every `resend_interval` with `endsAt` four intervals ahead (as Prometheus
/// does), so Alertmanager keeps them while livewatch runs and expires them if it
/// stops; a resolution is sent with `endsAt` set to when it resolved.
/// Alertmanager then deduplicates, groups and routes for a fleet.
public struct AlertmanagerNotifier: ConfiguredNotifier {
    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public var resendInterval: Double? { configuration.resendInterval }

    /// `{url}/api/v2/alerts`.
    public var alertsURL: String {
        var base = configuration.url.reveal()
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/api/v2/alerts"
    }

    public func request(for notification: AlertNotification, now: Date) -> OutgoingRequest {
        post(payload(for: notification, now: now))
    }

    public func resendRequest(firing: [AlertNotification], now: Date) -> OutgoingRequest? {
        guard !firing.isEmpty else { return nil }
        return post(.array(firing.map { alert($0, severity: $0.line.severity, endsAt: validUntil(now)) }))
    }

    public func check(_ response: IncomingResponse) -> NotifierError? {
        NotifierError.unlessSuccess(response, redactor: redactor)
    }

    /// The alerts posted for one line. The labels are the alert's identity and nothing else
    /// (`alertname`, `monitor`, `subject`, `severity`): two instances watching the same account post
    /// the same alerts, and Alertmanager, which keys alerts by their label set, notifies once.
    ///
    /// Severity is a label, so a changed severity is a different Alertmanager alert: a later firing
    /// line (a severity change or a repeat) also sends the alert's other severities as ended. The
    /// episode's first line has no other severity to end, and a resolution ends the severity it
    /// resolves (the one its last firing line sent): an alert Alertmanager never saw firing is not
    /// posted, so it never shows up as resolved in a notification.
    public func payload(for notification: AlertNotification, now: Date) -> JSONValue {
        let line = notification.line
        let ended = AlertLine.rfc3339(line.time)
        switch line.state {
        case .firing:
            let current = alert(notification, severity: line.severity, endsAt: validUntil(now))
            guard !Self.isFirstLine(of: notification) else { return .array([current]) }
            let others = Severity.allCases.filter { $0 != line.severity }
            return .array([current] + others.map { alert(notification, severity: $0, endsAt: ended) })
        case .resolved:
            return .array([alert(notification, severity: line.severity, endsAt: ended)])
        case .notice:
            return .array([alert(notification, severity: line.severity, endsAt: validUntil(now))])
        }
    }

    /// Whether this firing line opened its episode (the episode starts in the second of its first line).
    static func isFirstLine(of notification: AlertNotification) -> Bool {
        AlertLine.rfc3339(notification.line.time) == AlertLine.rfc3339(notification.startedAt)
    }

    func alert(_ notification: AlertNotification, severity: Severity, endsAt: String) -> JSONValue {
        .object([
            ("labels", .sortedStrings(WebhookNotifier.labels(of: notification.line, severity: severity))),
            ("annotations", .sortedStrings(WebhookNotifier.annotations(of: notification.line))),
            ("startsAt", .string(AlertLine.rfc3339(notification.startedAt))),
            ("endsAt", .string(endsAt)),
        ])
    }

    /// Four resend intervals from now: how long Alertmanager keeps a firing alert without news.
    func validUntil(_ now: Date) -> String {
        AlertLine.rfc3339(now.addingTimeInterval(4 * configuration.resendInterval))
    }

    func post(_ body: JSONValue) -> OutgoingRequest {
        postJSON(body, to: alertsURL)
    }
}
