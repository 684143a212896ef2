import Foundation
import Yams

extension ConfigurationLoader {
    /// Reads the `notifiers:` list; `monitorNames` are the configured monitors (for the `monitors` filter).
    func readNotifiers(_ node: Node, monitorNames: Set<String>, collector: ProblemCollector) -> [NotifierConfiguration]
    {
        guard case .sequence(let items) = node else {
            collector.problem(
                node, owner: nil, key: "notifiers", "must be a list of notifiers (each item starts with \"- name:\")")
            return []
        }
        var notifiers: [NotifierConfiguration] = []
        var seen: [String: Int?] = [:]
        for item in items {
            let name = Self.peekName(item)
            guard
                let reader = MappingReader(
                    item, owner: name, prefix: "", collector: collector, environment: environment, what: "a notifier")
            else { continue }
            defer { reader.finish() }
            let checkedName = readName(reader)
            if let checkedName {
                if let previous = seen[checkedName] {
                    let first = previous.map { " (first defined on line \($0))" } ?? ""
                    reader.problem(reader.value("name"), "name", "duplicate notifier name\(first)")
                } else {
                    seen[checkedName] = reader.value("name")?.mark?.line
                }
            }
            var kind: NotifierConfiguration.Kind?
            if let text = reader.string("type", required: true) {
                kind = NotifierConfiguration.Kind(rawValue: text)
                if kind == nil {
                    let known = NotifierConfiguration.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    reader.problem(
                        reader.value("type"), "type", "unknown notifier type \"\(text.prefix(40))\" (use \(known))")
                }
            }
            let url = readNotifierURL(reader, kind: kind)
            var secret: Secret?
            if reader.value("secret") != nil {
                if let kind, kind != .dingtalk, kind != .feishu {
                    reader.problem(
                        reader.value("secret"), "secret", "only dingtalk and feishu notifiers sign their requests")
                } else {
                    secret = reader.secret("secret", required: false)
                }
            }
            var minSeverity = Severity.info
            if let text = reader.string("min_severity") {
                if let severity = Severity(rawValue: text) {
                    minSeverity = severity
                } else {
                    reader.problem(
                        reader.value("min_severity"), "min_severity",
                        "must be info, warning or critical (got \"\(text.prefix(40))\")")
                }
            }
            let rules = readRuleFilter(reader)
            let monitors = readMonitorFilter(reader, monitorNames: monitorNames)
            let timeout = reader.duration("timeout", in: ConfigurationLimits.notifierTimeout, default: 10)
            let maxBackoff = reader.duration("max_backoff", in: ConfigurationLimits.notifierMaxBackoff, default: 60)
            let giveUpAfter = reader.duration("give_up_after", in: ConfigurationLimits.giveUpAfter, default: 86_400)
            var resendInterval = 60.0
            if reader.value("resend_interval") != nil {
                if let kind, kind != .alertmanager {
                    reader.problem(
                        reader.value("resend_interval"), "resend_interval", "applies to alertmanager notifiers only")
                } else {
                    resendInterval = reader.duration(
                        "resend_interval", in: ConfigurationLimits.resendInterval, default: 60)
                }
            }
            var groupWait: Double?
            if reader.value("group_wait") != nil {
                if let kind, !kind.isChat {
                    reader.problem(
                        reader.value("group_wait"), "group_wait",
                        "applies to dingtalk, wecom, feishu and slack notifiers only (\(kind.rawValue) sends one alert per request)"
                    )
                } else {
                    groupWait = reader.duration("group_wait", in: ConfigurationLimits.groupWait, default: 10)
                }
            }
            guard let checkedName, let kind, let url else { continue }
            notifiers.append(
                NotifierConfiguration(
                    name: checkedName, kind: kind, url: url, secret: secret, minSeverity: minSeverity, rules: rules,
                    monitors: monitors, timeout: timeout, maxBackoff: maxBackoff, giveUpAfter: giveUpAfter,
                    resendInterval: resendInterval, groupWait: groupWait))
        }
        return notifiers
    }

    /// `url`: a plain URL, or a secret reference when it holds a token.
    func readNotifierURL(_ reader: MappingReader, kind: NotifierConfiguration.Kind?) -> Secret? {
        guard let node = reader.value("url") else {
            reader.problem(nil, "url", "is required")
            return nil
        }
        let url: Secret
        if case .scalar(let scalar) = node {
            guard !scalar.string.isEmpty else {
                reader.problem(node, "url", "must not be empty")
                return nil
            }
            url = Secret(scalar.string)
            let carriesToken =
                [.dingtalk, .wecom, .feishu, .slack].contains(kind)
                || URLComponents(string: scalar.string)?.query != nil
            if carriesToken {
                reader.warning(
                    node, "url",
                    "holds a token in the configuration file; prefer { env: NAME }, { file: PATH } or { credential: NAME }"
                )
            }
        } else {
            // A secret reference: `reader.secret` resolves it (and would warn about a literal, which this is not).
            guard let resolved = reader.secret("url", required: true) else { return nil }
            // The history load mode has not read it: nothing to check.
            guard reader.collector.resolvesSecrets else { return resolved }
            url = resolved
        }
        guard let kind else { return url }
        if let problem = NotifierConfiguration.problem(with: url.reveal(), kind: kind) {
            reader.problem(node, "url", problem)
            return nil
        }
        if let host = URLComponents(string: url.reveal())?.host,
            URLComponents(string: url.reveal())?.scheme?.lowercased() == "http",
            !MappingReader.isLoopback(host)
        {
            reader.warning(node, "url", "uses plain http to \(host): notifications travel unencrypted")
        }
        return url
    }

    /// An optional `rules:` filter of known rule names.
    func readRuleFilter(_ reader: MappingReader) -> [AlertRule]? {
        reader.nonEmptyList("rules", empty: "must name at least one rule (leave it out for all)") { text in
            AlertRule(rawValue: text).map { .success($0) }
                ?? .failure(ListItemProblem("unknown rule \"\(text.prefix(60))\""))
        }
    }

    /// An optional `monitors:` filter of configured monitor names.
    func readMonitorFilter(_ reader: MappingReader, monitorNames: Set<String>) -> [String]? {
        reader.nonEmptyList("monitors", empty: "must name at least one monitor (leave it out for all)") { text in
            monitorNames.contains(text)
                ? .success(text) : .failure(ListItemProblem("no monitor named \"\(text.prefix(64))\" is configured"))
        }
    }
}
