import Foundation

/// `type: webhook`: the Alertmanager webhook payload (version 4), one alert per
/// POST, so receivers written for Alertmanager work unchanged.
public struct WebhookNotifier: JSONPayloadNotifier {
    public let configuration: NotifierConfiguration

    public init(configuration: NotifierConfiguration) { self.configuration = configuration }

    public func check(_ response: IncomingResponse) -> NotifierError? {
        NotifierError.unlessSuccess(response, redactor: redactor)
    }

    /// The webhook body (Alertmanager's `template.Data` with `version`, `groupKey`, `truncatedAlerts`).
    public func payload(for notification: AlertNotification) -> JSONValue {
        let line = notification.line
        let status = line.state == .resolved ? "resolved" : "firing"
        let labels = Self.labels(of: line)
        let annotations = Self.annotations(of: line)
        let groupLabels = labels.filter { $0.key != "severity" }
        // A notice is a one-off event: it ends when it happens.
        let endsAt = line.state == .firing ? NotifierSupport.zeroTime : AlertLine.rfc3339(line.time)
        let alert: JSONValue = .object([
            ("status", .string(status)),
            ("labels", .sortedStrings(labels)),
            ("annotations", .sortedStrings(annotations)),
            ("startsAt", .string(AlertLine.rfc3339(notification.startedAt))),
            ("endsAt", .string(endsAt)),
            ("generatorURL", .string("")),
            ("fingerprint", .string(Self.fingerprint(labels))),
        ])
        let groupKey =
            "{}:{"
            + groupLabels.keys.sorted().map { "\($0)=\(Self.goQuote(groupLabels[$0] ?? ""))" }
            .joined(separator: ", ") + "}"
        return .object([
            ("receiver", .string(configuration.name)),
            ("status", .string(status)),
            ("alerts", .array([alert])),
            ("groupLabels", .sortedStrings(groupLabels)),
            ("commonLabels", .sortedStrings(labels)),
            ("commonAnnotations", .sortedStrings(annotations)),
            ("externalURL", .string("")),
            ("version", .string("4")),
            ("groupKey", .string(groupKey)),
            ("truncatedAlerts", .integer(0)),
        ])
    }

    /// `alertname`, `monitor`, `subject`, `severity`.
    static func labels(of line: AlertLine, severity: Severity? = nil) -> [String: String] {
        [
            "alertname": line.rule.rawValue, "monitor": line.monitor, "subject": line.subject,
            "severity": (severity ?? line.severity).rawValue,
        ]
    }

    /// `summary` (the message), `description` (rule, target and message), `state`, and `value`/`threshold` when present.
    static func annotations(of line: AlertLine) -> [String: String] {
        let name = AlertNotification(line: line, startedAt: line.time).alertName
        var annotations = [
            "summary": line.message, "description": "\(name): \(line.message)", "state": line.state.rawValue,
        ]
        if let value = line.value { annotations["value"] = AlertLine.number(value) }
        if let threshold = line.threshold { annotations["threshold"] = AlertLine.number(threshold) }
        return annotations
    }

    /// Alertmanager's label-set fingerprint: FNV-1a 64 over the sorted names and values,
    /// each followed by the byte 255, as 16 hex digits.
    public static func fingerprint(_ labels: [String: String]) -> String {
        var hash: UInt64 = 14_695_981_039_346_656_037
        func add(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 1_099_511_628_211
        }
        for name in labels.keys.sorted() {
            for byte in name.utf8 { add(byte) }
            add(255)
            for byte in (labels[name] ?? "").utf8 { add(byte) }
            add(255)
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    /// A Go `%q`-style quoted string, as Alertmanager writes group keys.
    static func goQuote(_ text: String) -> String { JSONText.quote(text) }
}
