import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// `livewatch silence add|list|expire`, run as the built binary against a real database.
@Suite struct SilenceCommandTests {
    /// Runs the built binary with `environment` (this process's, without `LIVEWATCH_CONFIG`, plus `extra`).
    static func run(_ arguments: [String], extra: [String: String] = [:], removing: [String] = []) async throws
        -> CommandRun
    {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var environment = ProcessInfo.processInfo.environment.filter {
            $0.key != "LIVEWATCH_CONFIG" && !removing.contains($0.key)
        }
        environment.merge(extra) { _, new in new }
        return try await LivewatchProcess.start(arguments, in: folder, environment: environment).finish()
    }

    /// Creates the database at `path` as the daemon would, with `monitors` in `monitor_state`.
    static func createDatabase(_ path: String, monitors: [String] = []) throws {
        let store = try Store(path: path)
        defer { store.close() }
        try store.writeSynchronously { database in
            for monitor in monitors {
                try database.run("INSERT INTO monitor_state (monitor) VALUES (?)", [monitor])
            }
        }
    }

    static func rows(_ path: String, _ sql: String) throws -> [Row] {
        let database = try Database(path: path, options: .init(readOnly: true, journalModeWAL: false))
        return try database.query(sql)
    }

    @Test func addListAndExpireAgainstARealDatabase() async throws {
        let setup = try CommandSetup()
        defer { setup.folder.remove() }
        try Self.createDatabase(setup.databasePath)
        let config = ["--config", setup.configPath]

        let added = try await Self.run(
            ["silence", "add"] + config + [
                "--monitor", "polyv-main", "--rule", "mr_concurrency_exhausted", "--for", "2h", "--comment",
                "vendor maintenance",
            ], extra: ["SUDO_USER": "carol"])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stderr.isEmpty, "\(added.stderr)")
        #expect(
            added.stdout.hasPrefix(
                "silence 1 added: monitor polyv-main, rule mr_concurrency_exhausted, subject any, until "),
            "\(added.stdout)")
        #expect(added.stdout.hasSuffix("(2h), by carol\n"), "\(added.stdout)")
        let row = try #require(try Self.rows(setup.databasePath, "SELECT * FROM silences").first)
        #expect(row.string("monitor") == "polyv-main" && row.string("rule") == "mr_concurrency_exhausted")
        #expect(row.string("subject") == nil && row.int64("expired_at") == nil)
        #expect(row.string("created_by") == "carol" && row.string("comment") == "vendor maintenance")
        #expect((row.int64("ends_at") ?? 0) - (row.int64("starts_at") ?? 0) == 7_200)
        let now = Int64(Date().timeIntervalSince1970)
        #expect(abs((row.int64("created_at") ?? 0) - now) < 60)

        let second = try await Self.run(
            ["silence", "add"] + config + [
                "--monitor", "polyv-main", "--subject", "polyv-main", "--until",
                AlertLine.rfc3339(Date().addingTimeInterval(86_400)), "--comment", "next day",
            ])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.hasPrefix("silence 2 added: monitor polyv-main, rule any, subject polyv-main"))

        let list = try await Self.run(["silence", "list"] + config)
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("ID  STATE   MONITOR     RULE") == true, "\(list.stdout)")
        #expect(lines.contains { $0.hasPrefix("1   active  polyv-main  mr_concurrency_exhausted  any ") })
        #expect(lines.contains { $0.hasPrefix("2   active  polyv-main  any ") })
        #expect(list.stdout.contains("carol") && list.stdout.contains("vendor maintenance"))
        #expect(list.stdout.contains("Configured (silences: in the configuration file):\nNone.\n"))

        let expired = try await Self.run(["silence", "expire", "1"] + config)
        #expect(expired.status == 0, "\(expired.stderr)")
        #expect(expired.stdout == "silence 1 expired (monitor polyv-main)\n")
        #expect(
            try Self.rows(setup.databasePath, "SELECT expired_at FROM silences WHERE id = 1").first?.int64("expired_at")
                != nil)

        let after = try await Self.run(["silence", "list"] + config)
        #expect(!after.stdout.contains("vendor maintenance") && after.stdout.contains("next day"), "\(after.stdout)")
        let all = try await Self.run(["silence", "list", "--all"] + config)
        #expect(all.stdout.contains("1   expired  polyv-main"), "\(all.stdout)")

        let again = try await Self.run(["silence", "expire", "1"] + config)
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("silence 1 was already over at "))

        // The configuration's secret file is never read: its secret is nowhere.
        let written = [added, second, list, expired, after, all, again].map { $0.stdout + $0.stderr }.joined()
        let database = FileManager.default.contents(atPath: setup.databasePath) ?? Data()
        for haystack in [written, String(decoding: database, as: UTF8.self)] {
            #expect(!haystack.contains(PolyvFixture.secret))
        }
    }

    @Test func badArgumentsExitTwoWithOneLine() async throws {
        let setup = try CommandSetup()
        defer { setup.folder.remove() }
        try Self.createDatabase(setup.databasePath)
        let config = ["--config", setup.configPath]
        let add = ["silence", "add"] + config
        let cases: [([String], String)] = [
            (add + ["--for", "1h", "--comment", "x"], "error: --monitor is required"),
            (
                add + ["--monitor", "polyv-other", "--for", "1h", "--comment", "x"],
                "error: no monitor named \"polyv-other\""
            ),
            (
                add + ["--monitor", "polyv-main", "--rule", "mr", "--for", "1h", "--comment", "x"],
                "error: unknown rule \"mr\""
            ),
            (add + ["--monitor", "polyv-main", "--comment", "x"], "error: give exactly one of --for"),
            (
                add + ["--monitor", "polyv-main", "--for", "1h", "--until", "2099-01-01T00:00:00Z", "--comment", "x"],
                "error: give exactly one of --for"
            ),
            (add + ["--monitor", "polyv-main", "--for", "91d", "--comment", "x"], "error: --for must be at most 90d"),
            (
                add + ["--monitor", "polyv-main", "--until", "2020-01-01T00:00:00Z", "--comment", "x"],
                "error: --until must be in the future"
            ),
            (add + ["--monitor", "polyv-main", "--for", "1h"], "error: --comment is required"),
            (add + ["--monitor", "polyv-main", "--for", "1h", "--comment", "  "], "error: --comment is required"),
            (
                ["silence", "list", "--config", setup.configPath, "--database", setup.databasePath],
                "error: --config and --database cannot be used together"
            ),
            (["silence", "expire", "abc"] + config, "error: the id must be a silence's number"),
            (["silence", "expire", "9"] + config, "error: no silence 9"),
        ]
        for (arguments, expected) in cases {
            let run = try await Self.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr.hasPrefix(expected), "\(arguments): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        #expect(try Self.rows(setup.databasePath, "SELECT count(*) AS n FROM silences").first?.int64("n") == 0)

        let missing = try await Self.run(["silence", "list", "--database", setup.folder.file("none.db")])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: no database at ") && missing.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: setup.folder.file("none.db")))
    }

    @Test func aConfigurationWhoseSecretsAreMissingWorksForAllThree() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let config = try folder.writeConfiguration(
            """
            polyv:
              - name: polyv-main
                app_id: \(PolyvFixture.appID)
                app_secret: { env: LIVEWATCH_TEST_MISSING_SECRET }
            metastudio:
              - name: metastudio-cn4
                project_id: 0123456789abcdef
                token: { credential: huawei-token }
            silences:
              - name: nightly
                monitors: [metastudio-cn4]
                daily: { from: "02:00", to: "04:00", time_zone: Asia/Shanghai, days: [sat, sun] }
            """)
        try Self.createDatabase(folder.file("livewatch.db"))
        let removing = ["LIVEWATCH_TEST_MISSING_SECRET", "CREDENTIALS_DIRECTORY"]
        let check = try await Self.run(["check-config", "--config", config], removing: removing)
        #expect(check.status == 2, "the secrets are indeed missing: \(check.stderr)")

        let added = try await Self.run(
            ["silence", "add", "--config", config, "--monitor", "metastudio-cn4", "--for", "30m", "--comment", "x"],
            removing: removing)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stderr.isEmpty, "\(added.stderr)")
        let list = try await Self.run(["silence", "list", "--config", config], removing: removing)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("1   active  metastudio-cn4  any "), "\(list.stdout)")
        #expect(
            list.stdout.contains(
                "nightly  waiting  metastudio-cn4  any    any       daily 02:00-04:00 Asia/Shanghai sat,sun")
                || list.stdout.contains(
                    "nightly  active   metastudio-cn4  any    any       daily 02:00-04:00 Asia/Shanghai sat,sun"),
            "\(list.stdout)")
        let expired = try await Self.run(["silence", "expire", "--config", config, "1"], removing: removing)
        #expect(expired.status == 0, "\(expired.stderr)")
    }

    @Test func withDatabaseTheMonitorsAreThoseTheDatabaseHolds() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("livewatch.db")
        try Self.createDatabase(path, monitors: ["tim-sg"])
        let added = try await Self.run(
            [
                "silence", "add", "--database", path, "--monitor", "tim-sg", "--for", "1h", "--comment",
                "crawl known bad",
            ])
        #expect(added.status == 0, "\(added.stderr)")
        let unknown = try await Self.run(
            ["silence", "add", "--database", path, "--monitor", "polyv-main", "--for", "1h", "--comment", "x"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "error: no monitor named \"polyv-main\" (known: tim-sg)\n")
        let list = try await Self.run(["silence", "list", "--database", path])
        #expect(list.stdout.contains("crawl known bad") && !list.stdout.contains("Configured"), "\(list.stdout)")
    }
}

/// `livewatch check` counts an alert a stored silence covers as OK, like one a configured silence covers.
@Suite struct SilenceCheckTests {
    @Test func aStoredSilenceTurnsACriticalAlertIntoOKAndItsExpiryBringsItBack() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("livewatch.db")
        try CheckCommandTests.storePolyvPoll(path, age: 5, used: 5)
        let store = try Store(path: path)
        try store.writeSynchronously { database in
            _ = try AlertBook(repeatInterval: 3_600).apply(
                [
                    (
                        AlertKey(rule: .mrConcurrencyExhausted, monitor: "polyv-main", subject: "polyv-main"),
                        .firing(severity: .critical, message: "0 of 5 left", value: 0, threshold: 0)
                    )
                ], now: Date().addingTimeInterval(-5), store: SQLiteAlertStateStore(database: database))
        }
        store.close()
        let check = ["check", "--database", path, "--max-age", "1h"]
        let before = try await runLivewatch(check)
        #expect(before.status == 2, "\(before.stdout)")
        #expect(before.stdout.hasPrefix("LIVEWATCH CRITICAL - polyv-main: "), "\(before.stdout)")

        let add = try await runLivewatch([
            "silence", "add", "--database", path, "--monitor", "polyv-main", "--rule", "mr_concurrency_exhausted",
            "--for", "1h", "--comment", "quota upgrade",
        ])
        #expect(add.status == 0, "\(add.stderr)")
        let silenced = try await runLivewatch(check)
        #expect(silenced.status == 0, "\(silenced.stdout)")
        #expect(silenced.stdout.hasPrefix("LIVEWATCH OK - "), "\(silenced.stdout)")

        let expire = try await runLivewatch(["silence", "expire", "--database", path, "1"])
        #expect(expire.status == 0, "\(expire.stderr)")
        let after = try await runLivewatch(check)
        #expect(after.status == 2, "\(after.stdout)")
    }
}
