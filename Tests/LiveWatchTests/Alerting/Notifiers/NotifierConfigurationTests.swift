import Foundation
import Testing

@testable import LiveWatch

/// `notifiers:`, `silences:` and `rules:` as configuration (rejections are fixtures).
@Suite struct NotifierConfigurationTests {
    static let environment = [
        "POLYV": "polyv-secret", "DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?access_token=abc123",
        "DINGTALK_SECRET": "SECabc", "SLACK_URL": "https://hooks.slack.com/services/T0/B0/XYZ",
    ]

    func parse(_ tail: String) throws -> Configuration {
        try ConfigurationLoader(environment: Self.environment).parse(
            """
            polyv:
              - name: polyv-main
                app_id: a
                app_secret: { env: POLYV }
            \(tail)
            """)
    }

    @Test func readsEveryNotifierKey() throws {
        let configuration = try parse(
            """
            notifiers:
              - name: ops-webhook
                type: webhook
                url: https://hooks.example.com/livewatch
              - name: fleet-am
                type: alertmanager
                url: http://alertmanager:9093
                resend_interval: 2m
              - name: oncall-dingtalk
                type: dingtalk
                url: { env: DINGTALK_URL }
                secret: { env: DINGTALK_SECRET }
                min_severity: warning
                rules: [mr_concurrency_exhausted, platform_authorization_expiring]
                monitors: [polyv-main]
                timeout: 5s
                max_backoff: 10m
                give_up_after: 2h
              - { name: team-slack, type: slack, url: { env: SLACK_URL } }
            """)
        #expect(configuration.notifiers.map(\.name) == ["ops-webhook", "fleet-am", "oncall-dingtalk", "team-slack"])
        #expect(configuration.notifiers.map(\.kind) == [.webhook, .alertmanager, .dingtalk, .slack])
        let dingTalk = configuration.notifiers[2]
        #expect(dingTalk.url.reveal() == "https://oapi.dingtalk.com/robot/send?access_token=abc123")
        #expect(dingTalk.secret?.reveal() == "SECabc")
        #expect(dingTalk.minSeverity == .warning)
        #expect(dingTalk.rules == [.mrConcurrencyExhausted, .platformAuthorizationExpiring])
        #expect(dingTalk.monitors == ["polyv-main"])
        #expect(dingTalk.timeout == 5 && dingTalk.maxBackoff == 600 && dingTalk.giveUpAfter == 7_200)
        #expect(configuration.notifiers[1].resendInterval == 120)
        #expect(configuration.notifiers[0].minSeverity == .info && configuration.notifiers[0].giveUpAfter == 86_400)
        #expect(!dingTalk.accepts(rule: .monitorFailing, monitor: "polyv-main"))
        #expect(dingTalk.accepts(rule: .mrConcurrencyExhausted, monitor: "polyv-main"))
        // Plain http to a non-loopback Alertmanager is accepted with a warning; nothing secret is quoted.
        #expect(
            configuration.warnings.map(\.description) == [
                "line 11: fleet-am: url: uses plain http to alertmanager: notifications travel unencrypted"
            ])
    }

    @Test func groupWaitDefaultsToTenSecondsForChatTypesAndIsRefusedForTheOthers() throws {
        let configuration = try parse(
            """
            notifiers:
              - { name: team-slack, type: slack, url: { env: SLACK_URL } }
              - { name: oncall-dingtalk, type: dingtalk, url: { env: DINGTALK_URL }, group_wait: 0s }
              - { name: slow-slack, type: slack, url: { env: SLACK_URL }, group_wait: 1m }
              - { name: ops-webhook, type: webhook, url: "https://hooks.example.com/livewatch" }
            """)
        #expect(configuration.notifiers.map(\.effectiveGroupWait) == [10, 0, 60, 0])
        for kind in ["webhook", "alertmanager"] {
            let error = #expect(throws: ConfigurationError.self) {
                try parse(
                    """
                    notifiers:
                      - { name: one, type: \(kind), url: "http://127.0.0.1:9093", group_wait: 5s }
                    """)
            }
            #expect(
                error?.description.contains(
                    "group_wait: applies to dingtalk, wecom, feishu and slack notifiers only (\(kind) sends one alert per request)"
                ) == true, "\(String(describing: error))")
        }
        #expect(throws: ConfigurationError.self) {
            try parse("notifiers:\n  - { name: s, type: slack, url: { env: SLACK_URL }, group_wait: 2h }")
        }
    }

    @Test func aLiteralURLHoldingATokenIsAcceptedWithAWarningThatDoesNotQuoteIt() throws {
        let configuration = try parse(
            """
            notifiers:
              - name: oncall
                type: wecom
                url: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=tok-123456
            """)
        let warnings = configuration.warnings.map(\.description)
        #expect(
            warnings == [
                "line 8: oncall: url: holds a token in the configuration file; prefer { env: NAME }, { file: PATH } or { credential: NAME }"
            ])
    }

    @Test func readsSilencesAndRules() throws {
        let configuration = try parse(
            """
            rules:
              mr_concurrency_exhausted: { for: 2m, keep_firing_for: 5m }
              monitor_failing:
                for: 1m
            silences:
              - name: nightly-maintenance
                monitors: [polyv-main]
                daily: { from: "23:00", to: "01:30", time_zone: Asia/Shanghai, days: [sat, sun] }
              - rules: [monitor_failing]
                subjects: [polyv-main]
                start: 2020-01-01T00:00:00Z
                end: 2020-01-01T12:00:00+08:00
                comment: vendor maintenance
            """)
        #expect(configuration.rules[.mrConcurrencyExhausted] == AlertRuleSettings(pendingFor: 120, keepFiringFor: 300))
        #expect(configuration.rules[.monitorFailing] == AlertRuleSettings(pendingFor: 60))
        #expect(configuration.silences.map(\.name) == ["nightly-maintenance", "silence #2"])
        let nightly = configuration.silences[0]
        #expect(
            nightly.window
                == .daily(
                    from: 23 * 60, to: 90, timeZone: TimeZone(identifier: "Asia/Shanghai") ?? .current,
                    weekdays: [7, 1]))
        let second = configuration.silences[1]
        #expect(second.comment == "vendor maintenance")
        #expect(
            second.window
                == .between(
                    start: Date(timeIntervalSince1970: 1_577_836_800), end: Date(timeIntervalSince1970: 1_577_851_200)))
        #expect(second.rules == [.monitorFailing] && second.subjects == ["polyv-main"] && second.monitors == nil)
        // It ended long ago: accepted, with a warning.
        #expect(
            configuration.warnings.map(\.description) == ["line 16: silence #2: end: has passed: this silence is over"])
    }

    @Test func aDailyWindowCrossesMidnightInItsTimeZoneAndOnItsDays() throws {
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        // Saturday and Sunday nights, 23:00-01:30 Shanghai time (UTC+8).
        let silence = Silence(
            name: "n", monitors: ["m"], window: .daily(from: 23 * 60, to: 90, timeZone: shanghai, weekdays: [7, 1]))
        func at(_ text: String) throws -> Date { try #require(AlertLine.parseRFC3339(text)) }
        // 2026-11-21 is a Saturday.
        #expect(silence.isActive(at: try at("2026-11-21T15:00:00Z"))) // Sat 23:00 Shanghai
        #expect(silence.isActive(at: try at("2026-11-21T17:29:00Z"))) // Sun 01:29, window opened Saturday
        #expect(!silence.isActive(at: try at("2026-11-21T17:30:00Z"))) // Sun 01:30: closed
        #expect(!silence.isActive(at: try at("2026-11-21T14:59:00Z"))) // Sat 22:59
        #expect(silence.isActive(at: try at("2026-11-22T16:00:00Z"))) // Mon 00:00, opened Sunday
        #expect(!silence.isActive(at: try at("2026-11-23T15:30:00Z"))) // Mon 23:30: not a silenced day
        #expect(!silence.isActive(at: try at("2026-11-23T16:30:00Z"))) // Tue 00:30, opened Monday
        let line = AlertLine(
            time: try at("2026-11-21T15:00:00Z"), state: .firing, severity: .critical, rule: .monitorFailing,
            monitor: "m", subject: "m", message: "x")
        #expect(silence.matches(line))
        var other = line
        other.monitor = "n"
        #expect(!silence.matches(other))
    }

    @Test func anAbsoluteWindowIsHalfOpen() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let silence = Silence(name: "s", rules: [.monitorFailing], window: .between(start: start, end: start + 3_600))
        #expect(!silence.isActive(at: start - 1))
        #expect(silence.isActive(at: start))
        #expect(silence.isActive(at: start + 3_599))
        #expect(!silence.isActive(at: start + 3_600))
        #expect(silence.hasEnded(at: start + 3_600))
    }
}

/// The commented `rules:`, `notifiers:` and `silences:` examples in etc/livewatch.yaml, uncommented, are valid.
@Suite struct ShippedNotifierExampleTests {
    @Test func theCommentedExamplesAreValidOnceUncommented() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let credentials = [
            "polyv-app-secret": "a", "tim-secret-key": "b", "huawei-ak": "c", "huawei-sk": "d", "volc-ak": "e",
            "volc-sk": "f",
            "dingtalk-webhook": "https://oapi.dingtalk.com/robot/send?access_token=abc", "dingtalk-secret": "SECxyz",
        ]
        for (name, value) in credentials {
            try Data(value.utf8).write(to: URL(fileURLWithPath: folder.file(name)))
        }
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("etc/livewatch.yaml")
        let text = try String(contentsOf: example, encoding: .utf8)
        var uncommented: [String] = []
        var inExample = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if ["# rules:", "# notifiers:", "# silences:"].contains(line) {
                inExample = true
                uncommented.append(String(line.dropFirst(2)))
            } else if inExample, line.hasPrefix("#   ") {
                uncommented.append(String(line.dropFirst(2)))
            } else {
                inExample = false
                uncommented.append(String(line))
            }
        }
        let configuration = try ConfigurationLoader(environment: ["CREDENTIALS_DIRECTORY": folder.path])
            .parse(uncommented.joined(separator: "\n"))
        #expect(configuration.notifiers.map(\.name) == ["ops-webhook", "fleet-am", "oncall-dingtalk"])
        #expect(configuration.silences.map(\.name) == ["nightly-maintenance", "vendor-upgrade"])
        #expect(configuration.rules[.mrConcurrencyExhausted] == AlertRuleSettings(pendingFor: 120, keepFiringFor: 300))
        // Only the plain-http Alertmanager (an example host) is warned about.
        #expect(configuration.warnings.map(\.key) == ["url"], "\(configuration.warnings)")
    }
}
