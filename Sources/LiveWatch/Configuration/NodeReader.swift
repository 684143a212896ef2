import Foundation
import Yams

/// Collects configuration problems and warnings while a file is read.
final class ProblemCollector {
    var problems: [ConfigurationProblem] = []
    var warnings: [ConfigurationProblem] = []
    /// False in the history load mode (`ConfigurationLoader.loadForHistory`): a secret reference is checked
    /// for its form only, never read.
    var resolvesSecrets = true

    func problem(_ node: Node?, owner: String?, key: String, _ message: String) {
        problems.append(ConfigurationProblem(line: node?.mark?.line, owner: owner, key: key, message: message))
    }

    func warning(_ node: Node?, owner: String?, key: String, _ message: String) {
        warnings.append(ConfigurationProblem(line: node?.mark?.line, owner: owner, key: key, message: message))
    }
}

/// Reads one YAML mapping strictly: typed getters record problems instead of
/// throwing, and `finish()` reports every key nobody asked for.
final class MappingReader {
    let node: Node
    let pairs: [(key: String, keyNode: Node, value: Node)]
    let owner: String?
    let prefix: String
    let collector: ProblemCollector
    let environment: [String: String]
    private var consumed: Set<String> = []

    init?(
        _ node: Node, owner: String?, prefix: String, collector: ProblemCollector,
        environment: [String: String], what: String
    ) {
        guard case .mapping(let mapping) = node else {
            collector.problem(node, owner: owner, key: prefix, "must be a mapping of keys to values (\(what))")
            return nil
        }
        self.node = node
        var pairs: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                collector.problem(key, owner: owner, key: prefix, "keys must be plain names")
                continue
            }
            pairs.append((scalar.string, key, value))
        }
        self.pairs = pairs
        self.owner = owner
        self.prefix = prefix
        self.collector = collector
        self.environment = environment
    }

    func keyPath(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }

    /// The node for `key`, marking it as known.
    func value(_ key: String) -> Node? {
        consumed.insert(key)
        return pairs.first { $0.key == key }?.value
    }

    /// Reports keys that were never asked for.
    func finish() {
        for pair in pairs where !consumed.contains(pair.key) {
            collector.problem(pair.keyNode, owner: owner, key: keyPath(pair.key), "unknown key")
        }
    }

    func problem(_ node: Node?, _ key: String, _ message: String) {
        collector.problem(node ?? self.node, owner: owner, key: keyPath(key), message)
    }

    func warning(_ node: Node?, _ key: String, _ message: String) {
        collector.warning(node ?? self.node, owner: owner, key: keyPath(key), message)
    }

    private func scalar(_ key: String) -> (Node, String)? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node else {
            problem(node, key, "must be a single value")
            return nil
        }
        if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
            problem(node, key, "must not be empty")
            return nil
        }
        return (node, scalar.string)
    }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let (_, text) = scalar(key) else {
            if required, value(key) == nil { problem(nil, key, "is required") }
            return nil
        }
        return text
    }

    func integer(_ key: String, in range: ClosedRange<Int64>, default fallback: Int64? = nil, required: Bool = false)
        -> Int64?
    {
        guard let (node, text) = scalar(key) else {
            if required, value(key) == nil { problem(nil, key, "is required") }
            return fallback
        }
        guard let number = Int64(text.trimmingCharacters(in: .whitespaces)) else {
            problem(node, key, "must be a whole number (got \"\(text.prefix(40))\")")
            return fallback
        }
        guard range.contains(number) else {
            problem(node, key, "must be between \(range.lowerBound) and \(range.upperBound) (got \(number))")
            return fallback
        }
        return number
    }

    func boolean(_ key: String, default fallback: Bool) -> Bool {
        guard let (node, text) = scalar(key) else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            problem(node, key, "must be true or false (got \"\(text.prefix(40))\")")
            return fallback
        }
    }

    /// A duration in seconds within `range` (both ends documented in docs/configuration.md).
    func duration(_ key: String, in range: ClosedRange<Double>, default fallback: Double) -> Double {
        guard let (node, text) = scalar(key) else { return fallback }
        guard let seconds = DurationParser.seconds(text) else {
            problem(node, key, "is not a duration such as 30s, 5m, 1h, 7d or 1h30m (got \"\(text.prefix(40))\")")
            return fallback
        }
        guard seconds >= range.lowerBound else {
            problem(node, key, "must be at least \(DurationParser.format(range.lowerBound)) (got \(text.prefix(40)))")
            return fallback
        }
        guard seconds <= range.upperBound else {
            problem(node, key, "must be at most \(DurationParser.format(range.upperBound)) (got \(text.prefix(40)))")
            return fallback
        }
        return seconds
    }

    func percentage(_ key: String, default fallback: Double) -> Double {
        guard let (node, text) = scalar(key) else { return fallback }
        var body = text.trimmingCharacters(in: .whitespaces)
        let isPercent = body.hasSuffix("%")
        if isPercent { body.removeLast() }
        guard let number = Double(body), number.isFinite else {
            problem(node, key, "must be a percentage such as 10% (got \"\(text.prefix(40))\")")
            return fallback
        }
        let fraction = isPercent ? number / 100 : number
        guard (0...0.5).contains(fraction) else {
            problem(node, key, "must be between 0% and 50% (got \(text))")
            return fallback
        }
        return fraction
    }

    func stringList(_ key: String) -> [(Node, String)]? {
        guard let node = value(key) else { return nil }
        guard case .sequence(let sequence) = node else {
            problem(node, key, "must be a list, e.g. [a, b]")
            return nil
        }
        var items: [(Node, String)] = []
        for item in sequence {
            guard case .scalar(let scalar) = item else {
                problem(item, key, "list items must be single values")
                continue
            }
            items.append((item, scalar.string))
        }
        return items
    }

    /// A list of at least one item, each converted by `convert` (which returns the value, or the problem with that
    /// item); `empty` is the problem when the list is empty. Nil when the key is absent or not a list of values.
    func nonEmptyList<T>(_ key: String, empty: String, _ convert: (String) -> Result<T, ListItemProblem>) -> [T]? {
        guard let items = stringList(key) else { return nil }
        var values: [T] = []
        for (item, text) in items {
            switch convert(text) {
            case .success(let value): values.append(value)
            case .failure(let failure): problem(item, key, failure.message)
            }
        }
        if items.isEmpty { problem(value(key), key, empty) }
        return values
    }

    /// A secret reference: a literal (with a warning), or `{env|file|credential: NAME}`; resolved now.
    func secret(_ key: String, required: Bool) -> Secret? {
        guard let node = value(key) else {
            if required { problem(nil, key, "is required") }
            return nil
        }
        let reference: SecretReference
        switch node {
        case .scalar(let scalar):
            reference = .literal(scalar.string)
            warning(
                node, key,
                "is a literal secret in the configuration file; prefer { env: NAME }, { file: PATH } or { credential: NAME }"
            )
        case .mapping(let mapping):
            guard mapping.count == 1, let (kindNode, valueNode) = mapping.first,
                case .scalar(let kind) = kindNode, case .scalar(let name) = valueNode
            else {
                problem(
                    node, key, "must be a string or exactly one of { env: NAME }, { file: PATH }, { credential: NAME }")
                return nil
            }
            switch kind.string {
            case "env": reference = .environment(name.string)
            case "file": reference = .file(name.string)
            case "credential": reference = .credential(name.string)
            default:
                problem(
                    kindNode, key, "unknown secret source \"\(kind.string.prefix(40))\" (use env, file or credential)")
                return nil
            }
        default:
            problem(node, key, "must be a string or one of { env: NAME }, { file: PATH }, { credential: NAME }")
            return nil
        }
        // The history load mode never reads a secret: an empty stand-in that `HistoryConfiguration` drops.
        guard collector.resolvesSecrets else { return Secret("") }
        do {
            return try reference.resolve(environment: environment)
        } catch {
            problem(node, key, error.message)
            return nil
        }
    }

    /// An `http://` or `https://` base URL; plain http to a non-loopback host gives a warning.
    func endpoint(_ key: String, default fallback: String) -> URL? {
        let given = string(key)
        let text = given ?? fallback
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty, url.query == nil, url.user == nil, url.password == nil
        else {
            let shown = URLRedaction.redact(String(text.prefix(200))).prefix(80)
            problem(
                value(key), key,
                "must be an http:// or https:// base URL without credentials or query (got \"\(shown)\")")
            return nil
        }
        if scheme == "http", !Self.isLoopback(host) {
            warning(value(key), key, "uses plain http to \(host): requests and signatures travel unencrypted")
        }
        return url
    }

    /// The time zone named at `key`, UTC when there is none. A name that is no time zone is a problem,
    /// worded by `unknown` from the name, and gives UTC.
    func timeZone(_ key: String, unknown: (String) -> String) -> TimeZone {
        let utc = TimeZone(identifier: "UTC") ?? .current
        guard let name = string(key) else { return utc }
        guard let zone = TimeZone(identifier: name) else {
            problem(value(key), key, unknown(name))
            return utc
        }
        return zone
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }
}

/// Why one item of a configured list was refused (see `MappingReader.nonEmptyList`).
struct ListItemProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
