import Foundation
import Testing

@testable import LiveWatch

/// The history load mode: the configuration's structure, strictly; its secrets, never.
@Suite struct HistoryConfigurationTests {
    /// Every monitor type and a signing notifier, every secret a reference that cannot be resolved here.
    static let unresolvable = """
        daemon:
          database: /var/lib/livewatch/history.db
        defaults:
          interval: 2m
        polyv:
          - name: polyv-main
            app_id: app
            app_secret: { credential: polyv-secret }
            residual_warning: 4
            residual_critical: 1
        tencent_chat:
          - name: tim-main
            sdk_app_id: 1400000000
            identifier: admin
            secret_key: { env: LIVEWATCH_TEST_MISSING_TIM_KEY }
            interval: 5m
        metastudio:
          - name: ms-main
            project_id: abc123
            access_key: { file: /nonexistent/livewatch/ak }
            secret_key: { file: /nonexistent/livewatch/sk }
        volcengine:
          - name: volc-main
            access_key: { credential: volc-ak }
            secret_key: { credential: volc-sk }
            activity_ids: [1]
        notifiers:
          - name: ding
            type: dingtalk
            url: { credential: ding-url }
            secret: { credential: ding-secret }
        silences:
          - name: night
            monitors: [tim-main]
            daily: { from: "23:00", to: "07:00" }
        """

    @Test func secretsAreNeverResolvedAndEverythingElseIsRead() throws {
        // The same file fails the ordinary load: its secrets are all out of reach here.
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).parse(Self.unresolvable) }
        // A credentials directory that holds the files: the history load mode does not read it either.
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let history = try ConfigurationLoader(environment: ["CREDENTIALS_DIRECTORY": folder.path]).parseForHistory(
            Self.unresolvable)
        #expect(history.database == "/var/lib/livewatch/history.db")
        #expect(
            history.monitors == [
                .init(
                    name: "polyv-main", vendor: "polyv", interval: 120,
                    residualThresholds: .init(warning: 4, critical: 1)),
                .init(name: "tim-main", vendor: "tencent_chat", interval: 300),
                .init(name: "ms-main", vendor: "metastudio", interval: 120),
                .init(name: "volc-main", vendor: "volcengine", interval: 120),
            ])
        #expect(history.notifierNames == ["ding"])
        #expect(history.silences.map(\.name) == ["night"])
    }

    @Test(arguments: [
        ("polyv:\n  - name: p\n    app_id: a\n    app_secret: { env: X }\n    colour: blue\n", "colour: unknown key"),
        ("polyv:\n  - name: p\n    app_id: a\n    app_secret: { vault: X }\n", "unknown secret source \"vault\""),
        ("polyv:\n  - name: p\n    app_id: a\n", "app_secret: is required"),
        (
            "polyv:\n  - name: p\n    app_id: a\n    app_secret: { env: X }\n    interval: 0s\n",
            "interval: must be at least"
        ),
        ("polyv: [\n", "YAML syntax error"),
        (
            "silences:\n  - monitors: [nobody]\n    daily: { from: \"01:00\", to: \"02:00\" }\n",
            "no monitor named \"nobody\""
        ),
    ])
    func theStructureIsStillCheckedStrictly(yaml: String, problem: String) throws {
        do {
            _ = try ConfigurationLoader(environment: [:]).parseForHistory(yaml)
            Issue.record("accepted:\n\(yaml)")
        } catch {
            #expect(error.problems.contains { "\($0)".contains(problem) }, "\(error.problems)")
        }
    }

    @Test func aLiteralNotifierURLIsStillCheckedAReferenceIsNot() throws {
        let literal = "notifiers:\n  - name: n\n    type: alertmanager\n    url: ftp://example.com\n"
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).parseForHistory(literal) }
        let reference = "notifiers:\n  - name: n\n    type: alertmanager\n    url: { env: AM_URL }\n"
        #expect(try ConfigurationLoader(environment: [:]).parseForHistory(reference).notifierNames == ["n"])
    }
}
