import Foundation
import Yams

extension ConfigurationLoader {
    /// Reads the `rules:` section: a mapping from rule name to `for` and `keep_firing_for`.
    func readRules(_ node: Node, collector: ProblemCollector) -> [AlertRule: AlertRuleSettings] {
        guard case .mapping(let mapping) = node else {
            collector.problem(
                node, owner: nil, key: "rules",
                "must be a mapping of rule names to settings, e.g. mr_concurrency_exhausted: { for: 2m }")
            return [:]
        }
        var rules: [AlertRule: AlertRuleSettings] = [:]
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? ""
            guard let rule = AlertRule(rawValue: name) else {
                let known = AlertRule.allCases.map(\.rawValue).joined(separator: ", ")
                collector.problem(
                    keyNode, owner: nil, key: "rules", "unknown rule \"\(name.prefix(60))\" (known: \(known))")
                continue
            }
            guard
                let reader = MappingReader(
                    value, owner: nil, prefix: "rules.\(name)", collector: collector, environment: environment,
                    what: "a rule's settings")
            else { continue }
            defer { reader.finish() }
            let pendingFor = reader.duration("for", in: ConfigurationLimits.ruleDelay, default: 0)
            let keepFiringFor = reader.duration("keep_firing_for", in: ConfigurationLimits.ruleDelay, default: 0)
            if AlertRuleSettings.noticeRules.contains(rule), pendingFor > 0 || keepFiringFor > 0 {
                collector.problem(
                    value, owner: nil, key: "rules.\(name)",
                    "\(name) only writes notices, which fire once: for and keep_firing_for do not apply")
                continue
            }
            rules[rule] = AlertRuleSettings(pendingFor: pendingFor, keepFiringFor: keepFiringFor)
        }
        return rules
    }
}
