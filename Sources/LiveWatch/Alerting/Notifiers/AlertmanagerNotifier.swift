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

    /// The alerts posted for one line. Severity is a label, so a changed severity is a
    /// different Alertmanager alert: every other severity of the same alert is sent as
    /// ended, and a resolution ends all of them.
    public func payload(for notification: AlertNotification, now: Date) -> JSONValue {
        let line = notification.line
        let ended = AlertLine.rfc3339(line.time)
        switch line.state {
        case .firing:
            let others = Severity.allCases.filter { $0 != line.severity }
            return .array(
                [alert(notification, severity: line.severity, endsAt: validUntil(now))]
                    + others.map { alert(notification, severity: $0, endsAt: ended) })
        case .resolved:
            return .array(Severity.allCases.map { alert(notification, severity: $0, endsAt: ended) })
        case .notice:
            return .array([alert(notification, severity: line.severity, endsAt: validUntil(now))])
        }
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
