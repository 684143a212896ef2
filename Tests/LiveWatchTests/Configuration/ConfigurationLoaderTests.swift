import Foundation
import Testing

@testable import LiveWatch

@Suite struct ConfigurationLoaderTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/config")
    static let environment = [
        "TEST_POLYV_SECRET": "polyv-secret-for-tests", "TEST_TIM_KEY": "tim-key", "TEST_HUAWEI_AK": "hw-ak",
        "TEST_HUAWEI_SK": "hw-sk", "TEST_HUAWEI_TOKEN": "hw-token", "TEST_VOLC_AK": "volc-ak",
        "TEST_VOLC_SK": "volc-sk",
    ]

    static var invalidFixtures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? [])
            .filter { $0.hasPrefix("invalid-") }.sorted()
    }

    @Test func readsEveryKeyOfAFullFile() throws {
        let configuration = try ConfigurationLoader(environment: Self.environment)
            .load(path: Self.fixtures.appendingPathComponent("valid-full.yaml").path)
        #expect(configuration.daemon.database == "/tmp/livewatch-test.db")
        #expect(configuration.daemon.retention == 90 * 86_400)
        #expect(configuration.daemon.failureThreshold == 3)
        #expect(configuration.daemon.repeatInterval == 6 * 3_600)
        #expect(configuration.defaults == PollSettings(interval: 60, timeout: 10, jitter: 0.1))
        guard case .polyv(let polyv) = try #require(configuration.monitors.first) else {
            Issue.record("expected a polyv monitor")
            return
        }
        #expect(polyv.name == "polyv-main")
        #expect(polyv.appSecret.reveal() == "polyv-secret-for-tests")
        #expect(polyv.poll.interval == 5_400)
        #expect(polyv.poll.timeout == 10)
        #expect(polyv.residualWarning == 2)
        #expect(configuration.warnings.isEmpty)
        #expect(
            configuration.monitors.map(\.vendor) == ["polyv", "tencent_chat", "metastudio", "metastudio", "volcengine"])
        guard case .tencentChat(let tim) = configuration.monitors[1],
            case .metaStudio(let hw) = configuration.monitors[2],
            case .metaStudio(let token) = configuration.monitors[3],
            case .volcengine(let volc) = configuration.monitors[4]
        else {
            Issue.record("unexpected monitor kinds")
            return
        }
        #expect(tim.sdkAppID == 1_400_000_000 && tim.pageSize == 20 && tim.rateLimit == 10)
        #expect(tim.endpoint.absoluteString == "https://adminapisgp.im.qcloud.com")
        #expect(hw.accessType == "MSS_STANDARD" && hw.expiryWarning == 7 * 86_400 && hw.expiryCritical == 86_400)
        if case .accessKey(let ak, let sk) = hw.authentication {
            #expect([ak.reveal(), sk.reveal()] == ["hw-ak", "hw-sk"])
        } else {
            Issue.record("expected AK/SK")
        }
        if case .token(let value) = token.authentication {
            #expect(value.reveal() == "hw-token")
        } else {
            Issue.record("expected token")
        }
        #expect(token.timeZone.identifier == "Asia/Shanghai")
        #expect(volc.activityIDs == [175_980_616] && volc.liveClientLinks && volc.guestNames == ["嘉宾A"])
        #expect(volc.linkExpiryWarning == 7_200)
    }

    @Test func theShippedExampleIsValid() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for name in ["polyv-app-secret", "tim-secret-key", "huawei-ak", "huawei-sk", "volc-ak", "volc-sk"] {
            try Data("example-\(name)".utf8).write(to: URL(fileURLWithPath: folder.file(name)))
        }
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("etc/livewatch.yaml")
        let configuration = try ConfigurationLoader(environment: ["CREDENTIALS_DIRECTORY": folder.path]).load(
            path: example.path)
        #expect(Set(configuration.monitors.map(\.vendor)) == ["polyv", "tencent_chat", "metastudio", "volcengine"])
        #expect(configuration.warnings.isEmpty, "\(configuration.warnings)")
    }

    @Test func aRateLimitAboveTheCeilingIsAcceptedWithAWarning() throws {
        let configuration = try ConfigurationLoader(environment: Self.environment).parse(
            """
            tencent_chat:
              - name: t
                sdk_app_id: 1400000000
                identifier: admin
                secret_key: { env: TEST_TIM_KEY }
                rate_limit: 50
            """)
        #expect(
            configuration.warnings.map(\.description) == [
                "line 6: t: rate_limit: is above the API's documented ceiling of 10 requests per second"
            ])
    }

    @Test func thereIsAFixtureForEveryRejection() {
        #expect(Self.invalidFixtures.count >= 15)
    }

    @Test(arguments: invalidFixtures)
    func rejectsWithTheExpectedMessage(fixture: String) throws {
        let path = Self.fixtures.appendingPathComponent(fixture).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = text.split(separator: "\n")
            .filter { $0.hasPrefix("# expect: ") }
            .map { String($0.dropFirst("# expect: ".count)) }
        #expect(!expected.isEmpty, "fixture \(fixture) names no expected message")
        do {
            _ = try ConfigurationLoader(environment: Self.environment).load(path: path)
            Issue.record("\(fixture) was accepted")
        } catch {
            let messages = error.problems.map(\.description)
            for message in expected {
                #expect(messages.contains { $0.contains(message) }, "\(fixture): no \"\(message)\" in \(messages)")
            }
            // A YAML error must not echo the offending line (it may hold a secret).
            #expect(!error.description.contains("super-secret-value"))
        }
    }

    @Test func aLiteralSecretIsAcceptedWithAWarning() throws {
        let configuration = try ConfigurationLoader(environment: [:]).parse(
            """
            polyv:
              - name: p
                app_id: a
                app_secret: literal-secret-value
                endpoint: http://api.example.com
            """)
        let warnings = configuration.warnings.map(\.description)
        #expect(warnings.contains { $0.contains("app_secret: is a literal secret") })
        #expect(warnings.contains { $0.contains("endpoint: uses plain http to api.example.com") })
        #expect(!warnings.joined().contains("literal-secret-value"))
    }

    @Test func plainHTTPToLoopbackIsNotWarnedAbout() throws {
        let configuration = try ConfigurationLoader(environment: Self.environment).parse(
            """
            polyv:
              - name: p
                app_id: a
                app_secret: { env: TEST_POLYV_SECRET }
                endpoint: http://127.0.0.1:8080
            """)
        #expect(configuration.warnings.isEmpty)
    }

    @Test func readsSecretsFromFilesAndCredentials() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Data("  from-a-file \n".utf8).write(to: URL(fileURLWithPath: folder.file("secret")))
        try Data("from-a-credential\n".utf8).write(to: URL(fileURLWithPath: folder.file("polyv")))
        let configuration = try ConfigurationLoader(environment: ["CREDENTIALS_DIRECTORY": folder.path]).parse(
            """
            polyv:
              - name: one
                app_id: a
                app_secret: { file: \(folder.file("secret")) }
              - name: two
                app_id: a
                app_secret: { credential: polyv }
            """)
        let secrets = configuration.monitors.flatMap(\.secrets).map { $0.reveal() }
        #expect(secrets == ["from-a-file", "from-a-credential"])
    }

    @Test func aMissingSecretFileIsAProblemThatNamesThePathOnly() {
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader(environment: [:]).parse(
                """
                polyv:
                  - name: one
                    app_id: a
                    app_secret: { file: /nonexistent/secret }
                """)
        }
    }

    @Test func everyProblemIsListedNotJustTheFirst() {
        do {
            _ = try ConfigurationLoader(environment: [:]).parse(
                """
                daemon:
                  failure_threshold: 0
                  repeat_interval: soon
                defaults:
                  timeout: forever
                """)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.count == 3)
            #expect(error.problems.map(\.line) == [2, 3, 5])
        }
    }

    @Test func readsTheOutboxLimitWithinItsRange() throws {
        #expect(
            try ConfigurationLoader(environment: [:]).parse("daemon:\n  database: /tmp/x.db\n").daemon.outboxLimit
                == 10_000)
        let set = try ConfigurationLoader(environment: [:]).parse("daemon:\n  outbox_limit: 500\n")
        #expect(set.daemon.outboxLimit == 500)
        #expect(AlertPolicy(configuration: set).outboxLimit == 500)
        for (value, got) in [("99", "99"), ("1000001", "1000001"), ("lots", nil)] as [(String, String?)] {
            do {
                _ = try ConfigurationLoader(environment: [:]).parse("daemon:\n  outbox_limit: \(value)\n")
                Issue.record("accepted outbox_limit \(value)")
            } catch {
                let expected =
                    got.map { "line 2: daemon.outbox_limit: must be between 100 and 1000000 (got \($0))" }
                    ?? "line 2: daemon.outbox_limit: must be a whole number (got \"lots\")"
                #expect(error.problems.map(\.description) == [expected])
            }
        }
    }

    @Test func resolvesThePathFromFlagThenEnvironmentThenDefault() {
        #expect(ConfigurationLoader.resolvePath("/a.yaml", environment: ["LIVEWATCH_CONFIG": "/b.yaml"]) == "/a.yaml")
        #expect(ConfigurationLoader.resolvePath(nil, environment: ["LIVEWATCH_CONFIG": "/b.yaml"]) == "/b.yaml")
        #expect(ConfigurationLoader.resolvePath(nil, environment: [:]) == "/etc/livewatch/livewatch.yaml")
    }
}

@Suite struct DurationParserTests {
    @Test(arguments: [
        ("30s", 30.0), ("5m", 300), ("1h", 3_600), ("7d", 604_800), ("1h30m", 5_400), ("1d2h3m4s", 93_784),
        ("500ms", 0.5), ("1.5h", 5_400),
    ])
    func parses(text: String, seconds: Double) {
        #expect(DurationParser.seconds(text) == seconds)
    }

    @Test(arguments: ["", "30", "s", "5 minutes", "30m1h", "1h1h", "-5s", "1w", "nan s"])
    func rejects(text: String) {
        #expect(DurationParser.seconds(text) == nil)
    }

    @Test func formats() {
        #expect(DurationParser.format(5_400) == "1h30m")
        #expect(DurationParser.format(0.5) == "500ms")
        #expect(DurationParser.format(1) == "1s")
    }

    @Test(arguments: AlertRuleSettings.noticeRules.map(\.rawValue).sorted())
    func aNoticeRuleTakesNeitherForNorKeepFiringFor(rule: String) {
        #expect(AlertRuleSettings.noticeRules.count == 4)
        #expect(throws: ConfigurationError.self) {
            _ = try ConfigurationLoader(environment: [:]).parse("rules:\n  \(rule):\n    for: 5m")
        }
    }
}
