import Foundation
import Yams

/// Reads and validates a configuration file: one ordered pass that collects
/// every problem, then defaults. `run`, `poll` and `check-config` all use it.
public struct ConfigurationLoader: Sendable {
    /// The environment secrets are resolved from (`env:` and `$CREDENTIALS_DIRECTORY`).
    public var environment: [String: String]
    /// False for the history load mode (`loadForHistory`): secret references are checked, never read.
    var resolvesSecrets = true

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The path to use: the flag, then `$LIVEWATCH_CONFIG`, then `/etc/livewatch/livewatch.yaml`.
    public static func resolvePath(_ flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let flag, !flag.isEmpty { return flag }
        if let fromEnvironment = environment["LIVEWATCH_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "/etc/livewatch/livewatch.yaml"
    }

    /// Loads the file at `path`.
    public func load(path: String) throws(ConfigurationError) -> Configuration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError(
                path: path,
                problems: [
                    ConfigurationProblem(line: nil, owner: nil, key: "", message: "cannot read the file")
                ])
        }
        guard data.count <= 4 << 20 else {
            throw ConfigurationError(
                path: path,
                problems: [
                    ConfigurationProblem(line: nil, owner: nil, key: "", message: "is larger than 4 MiB")
                ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(
                path: path,
                problems: [
                    ConfigurationProblem(line: nil, owner: nil, key: "", message: "is not UTF-8 text")
                ])
        }
        var configuration = try parse(text, path: path)
        configuration.warnings.append(contentsOf: Self.permissionWarnings(path: path, configuration: configuration))
        return configuration
    }

    /// Parses configuration text; `path` is only used in messages.
    public func parse(_ text: String, path: String = "<config>") throws(ConfigurationError) -> Configuration {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text, .basic) else {
                throw ConfigurationError(
                    path: path,
                    problems: [
                        ConfigurationProblem(line: nil, owner: nil, key: "", message: "the file is empty")
                    ])
            }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(path: path, problems: [Self.problem(fromYAML: error)])
        }
        let collector = ProblemCollector()
        collector.resolvesSecrets = resolvesSecrets
        guard
            let top = MappingReader(
                root, owner: nil, prefix: "", collector: collector, environment: environment, what: "the top level")
        else {
            throw ConfigurationError(path: path, problems: collector.problems)
        }
        var configuration = Configuration()
        if let node = top.value("daemon") {
            configuration.daemon = readDaemon(node, collector: collector)
        }
        if let node = top.value("defaults") {
            configuration.defaults = readDefaults(node, collector: collector)
        }
        var names: [String: Int?] = [:]
        func register(_ node: Node) {
            guard let (name, nameNode) = Self.peekNameNode(node) else { return }
            let node = nameNode
            if let previous = names[name] {
                let seen = previous.map { " (first defined on line \($0))" } ?? ""
                collector.problem(node, owner: name, key: "name", "duplicate monitor name\(seen)")
            } else {
                names[name] = node.mark?.line
            }
        }
        for (section, reader) in [
            ("polyv", readPolyv), ("tencent_chat", readTencentChat), ("metastudio", readMetaStudio),
            ("volcengine", readVolcengine),
        ] as [(String, (Node, PollSettings, ProblemCollector) -> MonitorConfiguration?)] {
            guard let node = top.value(section) else { continue }
            guard case .sequence(let items) = node else {
                collector.problem(
                    node, owner: nil, key: section, "must be a list of monitors (each item starts with \"- name:\")")
                continue
            }
            for item in items {
                register(item)
                if let monitor = reader(item, configuration.defaults, collector) {
                    configuration.monitors.append(monitor)
                }
            }
        }
        let monitorNames = Set(names.keys)
        if let node = top.value("rules") { configuration.rules = readRules(node, collector: collector) }
        if let node = top.value("notifiers") {
            configuration.notifiers = readNotifiers(node, monitorNames: monitorNames, collector: collector)
        }
        if let node = top.value("silences") {
            configuration.silences = readSilences(node, monitorNames: monitorNames, now: Date(), collector: collector)
        }
        top.finish()
        if configuration.monitors.isEmpty, collector.problems.isEmpty {
            collector.warning(root, owner: nil, key: "", "no monitors are configured")
        }
        guard collector.problems.isEmpty else {
            throw ConfigurationError(path: path, problems: collector.problems)
        }
        configuration.warnings = collector.warnings
        return configuration
    }

    static func peekName(_ node: Node) -> String? {
        peekNameNode(node)?.0
    }

    static func peekNameNode(_ node: Node) -> (String, Node)? {
        guard case .mapping(let mapping) = node else { return nil }
        for (key, value) in mapping where key.string == "name" {
            return value.string.map { ($0, value) }
        }
        return nil
    }

    static func problem(fromYAML error: Error) -> ConfigurationProblem {
        // Yams' own description quotes the offending line, which may hold a
        // secret: keep only the position and the problem.
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                return ConfigurationProblem(
                    line: mark.line, owner: nil, key: "", message: "YAML syntax error: \(problem)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                return ConfigurationProblem(
                    line: context.mark.line, owner: nil, key: duplicates.joined(separator: ", "),
                    message: "duplicate key")
            case .reader(let problem, _, _, _):
                return ConfigurationProblem(line: nil, owner: nil, key: "", message: "YAML reader error: \(problem)")
            default:
                return ConfigurationProblem(line: nil, owner: nil, key: "", message: "YAML error")
            }
        }
        return ConfigurationProblem(line: nil, owner: nil, key: "", message: "YAML error")
    }

    func readDaemon(_ node: Node, collector: ProblemCollector) -> DaemonSettings {
        var settings = DaemonSettings()
        guard
            let reader = MappingReader(
                node, owner: nil, prefix: "daemon", collector: collector, environment: environment,
                what: "daemon settings")
        else { return settings }
        settings.database = reader.string("database") ?? settings.database
        settings.alertLog = reader.string("alert_log") ?? settings.alertLog
        settings.retention = reader.duration(
            "retention", in: ConfigurationLimits.retention, default: settings.retention)
        settings.pollsRetention = reader.duration(
            "polls_retention", in: ConfigurationLimits.retention, default: settings.pollsRetention)
        settings.alertsRetention = reader.duration(
            "alerts_retention", in: ConfigurationLimits.retention, default: settings.alertsRetention)
        settings.rollupRetention = reader.duration(
            "rollup_retention", in: ConfigurationLimits.rollupRetention, default: settings.rollupRetention)
        settings.pruneInterval = reader.duration(
            "prune_interval", in: ConfigurationLimits.pruneInterval, default: settings.pruneInterval)
        settings.failureThreshold = Int(
            reader.integer(
                "failure_threshold", in: ConfigurationLimits.failureThreshold, default: Int64(settings.failureThreshold)
            ) ?? 3)
        settings.repeatInterval = reader.duration(
            "repeat_interval", in: ConfigurationLimits.repeatInterval, default: settings.repeatInterval)
        settings.maxBackoff = reader.duration(
            "max_backoff", in: ConfigurationLimits.maxBackoff, default: settings.maxBackoff)
        settings.shutdownTimeout = reader.duration(
            "shutdown_timeout", in: ConfigurationLimits.shutdownTimeout, default: settings.shutdownTimeout)
        settings.outboxLimit = Int(
            reader.integer("outbox_limit", in: ConfigurationLimits.outboxLimit, default: Int64(settings.outboxLimit))
                ?? Int64(settings.outboxLimit))
        if let listen = reader.string("listen") {
            switch ListenAddress.parse(listen) {
            case .success(let address): settings.listen = address
            case .failure(let error): reader.problem(reader.value("listen"), "listen", "\(error)")
            }
        }
        reader.finish()
        return settings
    }

    func readDefaults(_ node: Node, collector: ProblemCollector) -> PollSettings {
        guard
            let reader = MappingReader(
                node, owner: nil, prefix: "defaults", collector: collector, environment: environment,
                what: "poll defaults")
        else { return PollSettings() }
        let settings = readPollSettings(reader, inheriting: PollSettings())
        reader.finish()
        return settings
    }

    func readPollSettings(_ reader: MappingReader, inheriting defaults: PollSettings) -> PollSettings {
        var settings = defaults
        settings.interval = reader.duration("interval", in: ConfigurationLimits.interval, default: defaults.interval)
        settings.timeout = reader.duration("timeout", in: ConfigurationLimits.timeout, default: defaults.timeout)
        settings.jitter = reader.percentage("jitter", default: defaults.jitter)
        return settings
    }

    func readPolyv(_ node: Node, defaults: PollSettings, collector: ProblemCollector) -> MonitorConfiguration? {
        readMonitor(node, "a polyv monitor", collector: collector) { reader, checkedName in
            let appID = reader.string("app_id", required: true)
            let secret = reader.secret("app_secret", required: true)
            let endpoint = reader.endpoint("endpoint", default: "https://api.polyv.net")
            let poll = readPollSettings(reader, inheriting: defaults)
            let warning = reader.integer("residual_warning", in: ConfigurationLimits.residual, default: 2) ?? 2
            let critical = reader.integer("residual_critical", in: ConfigurationLimits.residual, default: 0) ?? 0
            if critical > warning {
                reader.problem(
                    reader.value("residual_critical"), "residual_critical",
                    "must not be above residual_warning (\(warning))")
            }
            let forecast = readForecast(reader, interval: poll.interval)
            guard let checkedName, let appID, let secret, let endpoint else { return nil }
            return .polyv(
                PolyvMonitorConfiguration(
                    name: checkedName, appID: appID, appSecret: secret, endpoint: endpoint, poll: poll,
                    residualWarning: Int(warning), residualCritical: Int(critical),
                    forecastHorizon: forecast.horizon, forecastWindow: forecast.window))
        }
    }

    func readTencentChat(_ node: Node, defaults: PollSettings, collector: ProblemCollector) -> MonitorConfiguration? {
        readMonitor(node, "a tencent_chat monitor", collector: collector) { reader, checkedName in
            let sdkAppID = reader.integer("sdk_app_id", in: ConfigurationLimits.sdkAppID, required: true)
            let identifier = reader.string("identifier", required: true)
            let secret = reader.secret("secret_key", required: true)
            let endpoint = reader.endpoint("endpoint", default: "https://console.tim.qq.com")
            let pageSize = reader.integer("page_size", in: ConfigurationLimits.pageSize, default: 20) ?? 20
            let rateLimit = reader.integer("rate_limit", in: ConfigurationLimits.rateLimit, default: 10) ?? 10
            if rateLimit > 10 {
                reader.warning(
                    reader.value("rate_limit"), "rate_limit",
                    "is above the API's documented ceiling of 10 requests per second")
            }
            let maxPages = reader.integer("max_pages", in: ConfigurationLimits.tencentMaxPages, default: 5_000) ?? 5_000
            let budget = reader.duration("crawl_budget", in: ConfigurationLimits.crawlBudget, default: 600)
            let poll = readPollSettings(reader, inheriting: defaults)
            guard let checkedName, let sdkAppID, let identifier, let secret, let endpoint else { return nil }
            return .tencentChat(
                TencentChatMonitorConfiguration(
                    name: checkedName, sdkAppID: UInt64(sdkAppID), identifier: identifier, secretKey: secret,
                    endpoint: endpoint,
                    pageSize: Int(pageSize), rateLimit: Int(rateLimit), maxPages: Int(maxPages), crawlBudget: budget,
                    poll: poll))
        }
    }

    func readMetaStudio(_ node: Node, defaults: PollSettings, collector: ProblemCollector) -> MonitorConfiguration? {
        readMonitor(node, "a metastudio monitor", collector: collector) { reader, checkedName in
            let projectID = reader.string("project_id", required: true)
            if let projectID,
                projectID.isEmpty || projectID.count > 64
                    || !projectID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            {
                reader.problem(
                    reader.value("project_id"), "project_id", "must be the project's id (letters and digits)")
            }
            let endpoint = reader.endpoint("endpoint", default: "https://metastudio.cn-north-4.myhuaweicloud.com")
            let hasAccessKey = reader.value("access_key") != nil
            let hasSecretKey = reader.value("secret_key") != nil
            let hasToken = reader.value("token") != nil
            var authentication: MetaStudioMonitorConfiguration.Authentication?
            if hasToken, hasAccessKey || hasSecretKey {
                reader.problem(
                    reader.value("token"), "token", "configure either token or access_key/secret_key, not both")
            } else if hasToken {
                authentication = reader.secret("token", required: true).map { .token($0) }
            } else if hasAccessKey || hasSecretKey {
                let accessKey = reader.secret("access_key", required: true)
                let secretKey = reader.secret("secret_key", required: true)
                if let accessKey, let secretKey {
                    authentication = .accessKey(accessKey: accessKey, secretKey: secretKey)
                }
            } else {
                reader.problem(
                    nil, "access_key", "is required (or token): configure access_key and secret_key, or token")
            }
            let accessType = reader.string("access_type")
            if let accessType, !["MEITUAN_OFFICIAL", "MSS_STANDARD"].contains(accessType) {
                reader.problem(
                    reader.value("access_type"), "access_type",
                    "must be MEITUAN_OFFICIAL or MSS_STANDARD (got \(accessType.prefix(40)))")
            }
            let warning = reader.duration("expiry_warning", in: ConfigurationLimits.expiryWindow, default: 7 * 86_400)
            let critical = reader.duration("expiry_critical", in: ConfigurationLimits.expiryWindow, default: 86_400)
            if critical > warning {
                reader.problem(
                    reader.value("expiry_critical"), "expiry_critical",
                    "must not be longer than expiry_warning (\(DurationParser.format(warning)))")
            }
            let timeZone = reader.timeZone("time_zone") { name in
                "is not a time zone name such as Asia/Shanghai or UTC (got \(name.prefix(40)))"
            }
            let maxPages = reader.integer("max_pages", in: ConfigurationLimits.metaStudioMaxPages, default: 100) ?? 100
            let poll = readPollSettings(reader, inheriting: defaults)
            guard let checkedName, let projectID, let endpoint, let authentication else { return nil }
            return .metaStudio(
                MetaStudioMonitorConfiguration(
                    name: checkedName, projectID: projectID, endpoint: endpoint, authentication: authentication,
                    accessType: accessType, expiryWarning: warning, expiryCritical: critical, timeZone: timeZone,
                    maxPages: Int(maxPages), poll: poll))
        }
    }

    func readVolcengine(_ node: Node, defaults: PollSettings, collector: ProblemCollector) -> MonitorConfiguration? {
        readMonitor(node, "a volcengine monitor", collector: collector) { reader, checkedName in
            let accessKey = reader.secret("access_key", required: true)
            let secretKey = reader.secret("secret_key", required: true)
            let region = reader.string("region") ?? "cn-north-1"
            let endpoint = reader.endpoint("endpoint", default: "https://livesaas.volcengineapi.com")
            let activityIDs =
                reader.nonEmptyList("activity_ids", empty: "must name at least one activity") {
                    text -> Result<Int64, ListItemProblem> in
                    if let id = Int64(text), id > 0 { return .success(id) }
                    return .failure(ListItemProblem("must be positive whole numbers (got \"\(text.prefix(40))\")"))
                } ?? []
            if reader.value("activity_ids") == nil {
                reader.problem(nil, "activity_ids", "is required")
            } else if Set(activityIDs).count != activityIDs.count {
                reader.problem(reader.value("activity_ids"), "activity_ids", "lists an activity twice")
            }
            let restrictions = reader.boolean("viewing_restrictions", default: true)
            let links = reader.boolean("live_client_links", default: false)
            if !restrictions, !links {
                reader.problem(
                    reader.value("viewing_restrictions"), "viewing_restrictions",
                    "and live_client_links are both false: nothing to watch")
            }
            var guestNames: [String] = []
            for (node, text) in reader.stringList("guest_names") ?? [] {
                if (1...15).contains(text.count) {
                    guestNames.append(text)
                } else {
                    reader.problem(node, "guest_names", "each name must be 1-15 characters (got \(text.count))")
                }
            }
            if !guestNames.isEmpty, !links {
                reader.problem(reader.value("guest_names"), "guest_names", "needs live_client_links: true")
            }
            let linkWarning = reader.duration(
                "link_expiry_warning", in: ConfigurationLimits.linkExpiryWarning, default: 7_200)
            let poll = readPollSettings(reader, inheriting: defaults)
            guard let checkedName, let accessKey, let secretKey, let endpoint, !activityIDs.isEmpty else { return nil }
            return .volcengine(
                VolcengineMonitorConfiguration(
                    name: checkedName, accessKey: accessKey, secretKey: secretKey, region: region, endpoint: endpoint,
                    activityIDs: activityIDs, viewingRestrictions: restrictions, liveClientLinks: links,
                    guestNames: guestNames,
                    linkExpiryWarning: linkWarning, poll: poll))
        }
    }

    /// Reads one monitor: a mapping whose `name` is checked first, then `body` with the reader and the
    /// checked name (nil after a problem); keys `body` did not read are problems.
    func readMonitor(
        _ node: Node, _ what: String, collector: ProblemCollector,
        _ body: (MappingReader, String?) -> MonitorConfiguration?
    ) -> MonitorConfiguration? {
        guard
            let reader = MappingReader(
                node, owner: Self.peekName(node), prefix: "", collector: collector, environment: environment, what: what
            )
        else { return nil }
        defer { reader.finish() }
        return body(reader, readName(reader))
    }

    func readName(_ reader: MappingReader) -> String? {
        guard let name = reader.string("name", required: true) else { return nil }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard !name.isEmpty, name.count <= 64, name.unicodeScalars.allSatisfy(allowed.contains) else {
            reader.problem(reader.value("name"), "name", "must be 1-64 letters, digits, '-', '_' or '.'")
            return nil
        }
        return name
    }

    /// A warning when the file holds literal secrets and others can read it.
    static func permissionWarnings(path: String, configuration: Configuration) -> [ConfigurationProblem] {
        let hasLiteral = configuration.warnings.contains { $0.message.hasPrefix("is a literal secret") }
        guard hasLiteral,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = attributes[.posixPermissions] as? NSNumber,
            mode.intValue & 0o004 != 0
        else { return [] }
        return [
            ConfigurationProblem(
                line: nil, owner: nil, key: "",
                message:
                    "holds literal secrets and is readable by every user (mode \(String(mode.intValue, radix: 8))); chmod o-r it"
            )
        ]
    }
}
