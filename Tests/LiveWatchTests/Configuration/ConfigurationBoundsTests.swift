import Foundation
import PropertyBased
import SQLite
import Testing

@testable import LiveWatch

/// Every duration and number key has a documented range that the loader enforces, and no value a user
/// can write (in the file or on the command line) reaches a conversion that traps: random and extreme
/// durations and numbers go through the loader, the parser, the daemon's conversions and the built binary.
@Suite struct ConfigurationBoundsTests {
    /// Where each bounded key sits in a file: the key's documented name and the YAML that holds `VALUE`.
    static let placements: [(key: String, yaml: String)] = [
        ("daemon.retention", "daemon:\n  retention: VALUE"),
        ("daemon.polls_retention", "daemon:\n  polls_retention: VALUE"),
        ("daemon.alerts_retention", "daemon:\n  alerts_retention: VALUE"),
        ("daemon.rollup_retention", "daemon:\n  rollup_retention: VALUE"),
        ("daemon.prune_interval", "daemon:\n  prune_interval: VALUE"),
        ("daemon.failure_threshold", "daemon:\n  failure_threshold: VALUE"),
        ("daemon.repeat_interval", "daemon:\n  repeat_interval: VALUE"),
        ("daemon.max_backoff", "daemon:\n  max_backoff: VALUE"),
        ("daemon.shutdown_timeout", "daemon:\n  shutdown_timeout: VALUE"),
        ("daemon.outbox_limit", "daemon:\n  outbox_limit: VALUE"),
        ("interval", "defaults:\n  interval: VALUE"),
        ("timeout", "defaults:\n  timeout: VALUE"),
        ("jitter", "defaults:\n  jitter: VALUE"),
        ("polyv.residual_warning", polyv("residual_warning: VALUE\n    residual_critical: 0")),
        ("polyv.residual_critical", polyv("residual_critical: VALUE\n    residual_warning: 1000000")),
        ("polyv.forecast_horizon", polyv("forecast_horizon: VALUE")),
        ("polyv.forecast_window", polyv("forecast_window: VALUE\n    interval: 1s")),
        ("tencent_chat.sdk_app_id", tencent(appID: "VALUE")),
        ("tencent_chat.page_size", tencent("page_size: VALUE")),
        ("tencent_chat.rate_limit", tencent("rate_limit: VALUE")),
        ("tencent_chat.max_pages", tencent("max_pages: VALUE")),
        ("tencent_chat.crawl_budget", tencent("crawl_budget: VALUE")),
        ("metastudio.expiry_warning", metaStudio("expiry_warning: VALUE\n    expiry_critical: 1m")),
        ("metastudio.expiry_critical", metaStudio("expiry_critical: VALUE\n    expiry_warning: 365d")),
        ("metastudio.max_pages", metaStudio("max_pages: VALUE")),
        ("volcengine.activity_ids", volcengine(activity: "VALUE")),
        ("volcengine.link_expiry_warning", volcengine("link_expiry_warning: VALUE")),
        ("rules.RULE.for", "rules:\n  monitor_failing:\n    for: VALUE"),
        ("rules.RULE.keep_firing_for", "rules:\n  monitor_failing:\n    keep_firing_for: VALUE"),
        ("notifiers.timeout", notifier("timeout: VALUE")),
        ("notifiers.max_backoff", notifier("max_backoff: VALUE")),
        ("notifiers.give_up_after", notifier("give_up_after: VALUE")),
        ("notifiers.resend_interval", notifier("resend_interval: VALUE")),
        (
            "notifiers.group_wait",
            "notifiers:\n  - name: n\n    type: slack\n    url: http://127.0.0.1:9/services/T0\n    group_wait: VALUE"
        ),
    ]

    static let environment = ["S": "secret-value-for-bounds", "K": "key-value-for-bounds"]

    static func polyv(_ extra: String) -> String {
        "polyv:\n  - name: p\n    app_id: a\n    app_secret: { env: S }\n    \(extra)"
    }

    static func tencent(_ extra: String = "page_size: 20", appID: String = "1400000000") -> String {
        "tencent_chat:\n  - name: t\n    sdk_app_id: \(appID)\n    identifier: admin\n    secret_key: { env: S }\n    \(extra)"
    }

    static func metaStudio(_ extra: String) -> String {
        "metastudio:\n  - name: m\n    project_id: abc123\n    token: { env: S }\n    \(extra)"
    }

    static func volcengine(_ extra: String = "region: cn-north-1", activity: String = "1") -> String {
        "volcengine:\n  - name: v\n    access_key: { env: K }\n    secret_key: { env: S }\n    activity_ids: [\(activity)]\n"
            + "    live_client_links: true\n    \(extra)"
    }

    static func notifier(_ extra: String) -> String {
        "notifiers:\n  - name: n\n    type: alertmanager\n    url: http://127.0.0.1:9093\n    \(extra)"
    }

    /// Durations from ordinary to absurd: long digit runs, fractions, every unit, out-of-order units.
    static var durationText: Generator<String, AnySequence<(index: Int, value: Any)>> {
        Gen<String>.oneOf(
            Gen.int(in: 0...999_999).map { "\($0)s" },
            Gen.int(in: 0...99_999).map { "\($0)d" },
            Gen.number.string(of: 1...400).map { "\($0)d" },
            Gen.int(in: 0...17).map { Array("0123456789.dhms-e ")[$0] }.string(of: 1...60),
            Gen.double(in: 0...1e12).map { "\($0)d" }
        )
    }

    /// Numbers from small to beyond Int64, negative included.
    static var numberText: Generator<String, AnySequence<(index: Int, value: Any)>> {
        Gen<String>.oneOf(
            Gen.int(in: -1_000...1_000_000).map { "\($0)" },
            Gen.int64(in: Int64.min...Int64.max).map { "\($0)" },
            Gen.number.string(of: 19...320).map { $0 },
            Gen.double(in: -1e300...1e300).map { "\($0)" }
        )
    }

    /// docs/configuration.md states each range exactly as the loader enforces it.
    @Test func theReferenceDocumentsEveryRangeTheLoaderEnforces() throws {
        let reference = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/configuration.md")
        let rows = try String(contentsOf: reference, encoding: .utf8).split(separator: "\n").filter {
            $0.hasPrefix("| `")
        }
        for entry in ConfigurationLimits.entries {
            let row = rows.first { $0.hasPrefix("| `\(entry.key)` |") }
            #expect(
                row?.hasSuffix("| \(entry.range) |") == true,
                "docs/configuration.md: \(entry.key) should read \(entry.range)")
        }
        #expect(Set(Self.placements.map(\.key)) == Set(ConfigurationLimits.entries.map(\.key)))
    }

    @Test func theParserNeverReturnsAValueBeyondItsCeiling() async {
        await propertyCheck(count: 2_000, input: Self.durationText) { text in
            if let seconds = DurationParser.seconds(text) {
                #expect(seconds.isFinite && seconds >= 0 && seconds <= DurationParser.longest, "\(text) → \(seconds)")
            }
        }
        for text in [String(repeating: "9", count: 305) + "d", "1e308s", "nan s", "inf d", "999999999999999d"] {
            #expect(DurationParser.seconds(text) == nil, "\(text)")
        }
        for value in [Double.infinity, -.infinity, .nan, 1e300, -1e300, .greatestFiniteMagnitude] {
            #expect(!DurationParser.format(value).isEmpty)
        }
    }

    @Test(arguments: placements.map(\.key))
    func everyKeyAcceptsOnlyItsDocumentedRange(key: String) async throws {
        let placement = try #require(Self.placements.first { $0.key == key })
        let entry = try #require(ConfigurationLimits.entries.first { $0.key == key }, "\(key) has no documented range")
        let isDuration = entry.range.contains(where: \.isLetter)
        let check: @Sendable (String) -> Void = { text in
            let yaml = placement.yaml.replacingOccurrences(of: "VALUE", with: text)
            do {
                let configuration = try ConfigurationLoader(environment: Self.environment).parse(yaml)
                // Accepted: every duration the configuration holds is within the parser's ceiling.
                for seconds in Self.durations(in: configuration) {
                    #expect(seconds.isFinite && seconds <= DurationParser.longest, "\(key): \(text) → \(seconds)")
                }
            } catch {
                #expect(error is ConfigurationError)
            }
        }
        if isDuration {
            await propertyCheck(count: 150, input: Self.durationText) { check($0) }
        } else {
            await propertyCheck(count: 150, input: Self.numberText) { check($0) }
        }
        // Just past each end is refused, with the range in the message.
        for outside in Self.justOutside(entry.range) {
            let yaml = placement.yaml.replacingOccurrences(of: "VALUE", with: outside)
            #expect(throws: ConfigurationError.self, "\(key): \(outside) was accepted") {
                _ = try ConfigurationLoader(environment: Self.environment).parse(yaml)
            }
        }
    }

    /// The durations of a configuration, for the checks above.
    static func durations(in configuration: Configuration) -> [Double] {
        let daemon = configuration.daemon
        var values = [
            daemon.retention, daemon.pollsRetention, daemon.alertsRetention, daemon.rollupRetention,
            daemon.pruneInterval,
            daemon.repeatInterval, daemon.maxBackoff, daemon.shutdownTimeout, configuration.defaults.interval,
            configuration.defaults.timeout,
        ]
        values += configuration.monitors.flatMap { [$0.poll.interval, $0.poll.timeout] }
        values += configuration.notifiers.flatMap {
            [$0.timeout, $0.maxBackoff, $0.giveUpAfter, $0.resendInterval, $0.effectiveGroupWait]
        }
        values += configuration.rules.values.flatMap { [$0.pendingFor, $0.keepFiringFor] }
        return values
    }

    /// Values just below and just above a documented range such as `1h – 3650d` or `1 – 1000`.
    static func justOutside(_ range: String) -> [String] {
        let ends = range.components(separatedBy: " – ")
        guard ends.count == 2 else { return [] }
        if let low = Int64(ends[0]), let high = Int64(ends[1]) {
            return (low > Int64.min ? ["\(low - 1)"] : []) + (high < Int64.max ? ["\(high + 1)"] : ["\(high)0"])
        }
        if ends[0].hasSuffix("%") { return ["-1%", "51%"] }
        guard let low = DurationParser.seconds(ends[0]), let high = DurationParser.seconds(ends[1]) else { return [] }
        let below = low > 0 ? ["\(Int((low * 1_000).rounded()) - 1)ms"] : []
        return below + ["\(Int(high) + 1)s"]
    }

    /// The largest value of every key at once is valid, and the daemon's conversions take it without trapping.
    @Test func theUpperEndOfEveryRangeRunsThroughTheDaemonsConversions() async throws {
        let yaml = """
            daemon:
              retention: 3650d
              polls_retention: 3650d
              alerts_retention: 3650d
              rollup_retention: 3650d
              prune_interval: 7d
              failure_threshold: 1000
              repeat_interval: 30d
              max_backoff: 1d
              shutdown_timeout: 1h
            defaults:
              interval: 1d
              timeout: 1h
              jitter: 50%
            \(Self.tencent("crawl_budget: 1d\n    max_pages: 1000000\n    rate_limit: 1000"))
            """
        let configuration = try ConfigurationLoader(environment: Self.environment).parse(yaml)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("bounds.db"))
        defer { store.close() }
        let summary = try await Retention(policy: RetentionPolicy(configuration.daemon)).prune(
            store: store, now: Date())
        #expect(summary.totalDeleted == 0)
        let policy = BackoffPolicy(interval: 86_400, jitter: 0.5, maximumBackoff: configuration.daemon.maxBackoff)
        for failures in [0, 1, 30, 1_000, Int.max] {
            let delay = policy.delay(consecutiveFailures: failures, retryAfter: 1e300, random: 1)
            #expect(delay > 0)
            _ = Seconds.nanoseconds(delay)
        }
        for value in [Double.infinity, -.infinity, .nan, 1e300, 3_650 * 86_400] {
            _ = Seconds.nanoseconds(value)
            _ = Seconds.milliseconds(value)
            _ = Seconds.whole(value)
        }
        #expect(Seconds.nanoseconds(.infinity) == UInt64(Seconds.ceiling * 1_000_000_000))
        #expect(Seconds.nanoseconds(.nan) == 0 && Seconds.whole(-5) == 0)
        let table = try store.accessSynchronously { database in
            try Reports.run(ReportRequest(name: .polls, since: DurationParser.longest), on: database)
        }
        #expect(table.rows.isEmpty)
        let scheduler = MonitorScheduler(clock: ManualClock(), jobs: [])
        #expect(await scheduler.stop(deadline: configuration.daemon.shutdownTimeout).isEmpty)
    }

    /// Random and extreme values for every numeric option of the built binary: it answers with an exit
    /// status (0, 1, 2, or the argument parser's 64), never with a signal.
    @Test func noCommandLineValueKillsTheBinary() async throws {
        let executable = try livewatchExecutable()
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let config = try folder.writeConfiguration(database: "cli.db", Self.volcengine())
        _ = try await Self.run(executable, ["db", "check", "--config", config])
        let demoDirectory = folder.file("demo")
        let durationOptions = [
            ["report", "polls", "--config", config, "--since"], ["alerts", "--config", config, "--since"],
        ]
        let numberOptions = [
            ["report", "rooms", "--config", config, "--limit"], ["demo", "--directory", demoDirectory, "--seconds"],
            ["link", "--config", config, "--activity"],
        ]
        let tryOptions: @Sendable ([[String]], String) async throws -> Void = { options, value in
            for option in options {
                // An in-range demo length would run the demo: only refused lengths are tried.
                if option[0] == "demo", let seconds = Int(value), (20...86_400).contains(seconds) { continue }
                let (reason, status) = try await Self.run(executable, option + [value])
                #expect(
                    reason == .exit && [0, 1, 2, 64].contains(status),
                    "livewatch \((option + [value]).joined(separator: " ")): \(reason) \(status)")
            }
        }
        // Each value is a process of its own: the extremes, then a few generated ones (the loader's
        // property test above covers thousands of values in-process).
        for value in [String(repeating: "9", count: 305) + "d", "999999999999999d", "36500d", "-5s", "nan"] {
            try await tryOptions(durationOptions, value)
        }
        for value in [String(repeating: "9", count: 305), "\(Int64.max)", "\(Int64.min)", "-1", "0"] {
            try await tryOptions(numberOptions, value)
        }
        await propertyCheck(count: 4, input: Self.durationText) { value in
            await #expect(throws: Never.self) { try await tryOptions(durationOptions, value) }
        }
        await propertyCheck(count: 4, input: Self.numberText) { value in
            await #expect(throws: Never.self) { try await tryOptions(numberOptions, value) }
        }
    }

    static func run(
        _ executable: String, _ arguments: [String],
        environment: [String: String] = ConfigurationBoundsTests.environment
    ) async throws -> (Process.TerminationReason, Int32) {
        let run = try await runToEnd(
            executable, arguments, environment: environment.merging(["PATH": "/usr/bin:/bin"]) { $1 })
        return (run.reason, run.status)
    }
}
