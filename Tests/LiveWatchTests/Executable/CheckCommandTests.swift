import Foundation
import Testing
import VendorSimulator

@testable import LiveWatch

/// `livewatch check` and the other commands that only read the history, run as the built binary.
@Suite struct CheckCommandTests {
    /// This process's environment without a configuration path or a systemd credentials directory: an
    /// operator's shell.
    static var operatorsShell: [String: String] {
        ProcessInfo.processInfo.environment.filter { $0.key != "LIVEWATCH_CONFIG" && $0.key != "CREDENTIALS_DIRECTORY" }
    }

    /// Runs `livewatch ARGUMENTS` from an operator's shell.
    static func run(_ arguments: [String]) async throws -> CommandRun {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        return try await LivewatchProcess.start(arguments, in: folder, environment: operatorsShell).finish()
    }

    /// Writes `name` in `folder`: a `daemon` section with `database`, then `sections`.
    static func writeConfiguration(
        _ name: String, in folder: TemporaryFolder, database: String, _ sections: String
    ) throws -> String {
        let path = folder.file(name)
        try Data(
            "daemon:\n  database: \(database)\n  alert_log: \(folder.file("alerts.log"))\n\(sections)".utf8
        ).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every vendor's monitor, every secret out of reach of an operator's shell.
    static let unresolvableMonitors = """
        defaults:
          interval: 1m
        polyv:
          - name: polyv-main
            app_id: \(PolyvFixture.appID)
            app_secret: { credential: polyv-secret }
        tencent_chat:
          - name: tim-main
            sdk_app_id: 1400000000
            identifier: admin
            secret_key: { env: LIVEWATCH_TEST_MISSING_TIM_KEY }
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
          - name: hook
            type: webhook
            url: { credential: hook-url }
        """

    /// Stores one successful Polyv poll that finished `age` seconds ago, through the daemon's writer.
    static func storePolyvPoll(_ path: String, age: Double, used: Int = 2) throws {
        let store = try Store(path: path)
        defer { store.close() }
        let finished = Date().addingTimeInterval(-age)
        let observation = Observation.mrConcurrency(
            MRConcurrency(total: 5, used: used, residual: 5 - used, channelIDs: []))
        let report = PollReport(
            monitor: "polyv-main", vendor: "polyv", startedAt: finished.addingTimeInterval(-0.1), finishedAt: finished,
            requests: 1, httpStatus: 200, requestID: nil, outcome: .observed(observation))
        try store.writeSynchronously { database in
            try ObservationWriter.insertPoll(report, in: database)
            _ = try ObservationWriter.updateMonitorState(report, in: database)
            try ObservationWriter.insertObservation(observation, monitor: "polyv-main", at: finished, in: database)
        }
    }

    /// OK, WARNING, CRITICAL from a database filled by real polls of the simulator; a silence turns the
    /// critical alert into OK; `--database` alone reads the same.
    @Test func theStatusFollowsRealPollsOfTheSimulator() async throws {
        try await withFixture({ try await PolyvFixture.start(total: 5, used: 2) }) { fixture in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let database = folder.file("livewatch.db")
            let secret = try folder.writeSecret("polyv-secret", PolyvFixture.secret)
            let monitor = """
                polyv:
                  - name: polyv-main
                    app_id: \(PolyvFixture.appID)
                    app_secret: { file: \(secret) }
                    endpoint: \(fixture.simulator.baseURL)
                    interval: 1m
                """
            let config = try Self.writeConfiguration("livewatch.yaml", in: folder, database: database, monitor)
            let silenced = try Self.writeConfiguration(
                "silenced.yaml", in: folder, database: database,
                monitor + """

                    silences:
                      - name: maintenance
                        monitors: [polyv-main]
                        start: 2020-01-01T00:00:00Z
                        end: 2999-01-01T00:00:00Z
                    """)
            for (used, status, text, residual) in [
                (2, 0, "1 monitor polled within max age, no alert firing", "3"),
                (4, 1, "polyv-main: Polyv MR concurrency running low: 1 of 5 left", "1"),
                (5, 2, "polyv-main: Polyv MR concurrency exhausted: 0 of 5 left", "0"),
            ] {
                fixture.simulator.polyv.setUsed(appID: PolyvFixture.appID, used: used)
                let poll = try await Self.run(["poll", "--config", config, "--log-level", "error"])
                #expect(poll.status == 0, "\(poll.stdout)\(poll.stderr)")
                let check = try await Self.run(["check", "--config", config])
                #expect(check.status == Int32(status), "\(check.stdout)\(check.stderr)")
                let label = CheckStatus(rawValue: Int32(status))?.label ?? "?"
                let pattern =
                    "^LIVEWATCH \(label) - " + NSRegularExpression.escapedPattern(for: text)
                    + #" \| 'polyv-main_residual'="# + residual + #";2;0;0;5 'polyv-main_age'=[0-9]+s;;180;0\n$"#
                #expect(check.stdout.range(of: pattern, options: .regularExpression) != nil, "\(check.stdout)")
                #expect(check.stderr.isEmpty, "\(check.stderr)")
            }

            let quiet = try await Self.run(["check", "--config", silenced])
            #expect(quiet.status == 0, "\(quiet.stdout)")
            #expect(
                quiet.stdout.hasPrefix(
                    "LIVEWATCH OK - 1 monitor polled within max age, no alert firing (alerts firing: 1 silenced) | "),
                "\(quiet.stdout)")

            let alone = try await Self.run(["check", "--database", database])
            #expect(alone.status == 2, "\(alone.stdout)")
            #expect(
                alone.stdout.range(
                    of:
                        #"^LIVEWATCH CRITICAL - polyv-main: Polyv MR concurrency exhausted: 0 of 5 left \| 'polyv-main_residual'=0;;;0;5 'polyv-main_age'=[0-9]+s;;600;0\n$"#,
                    options: .regularExpression) != nil, "\(alone.stdout)")
            let named = try await Self.run(["check", "--database", database, "--monitor", "polyv-main"])
            #expect(named.status == 2, "\(named.stdout)")

            let unknown = try await Self.run(["check", "--config", config, "--monitor", "polyv-other"])
            #expect(unknown.status == 3)
            #expect(unknown.stdout == "LIVEWATCH UNKNOWN - no monitor named polyv-other is configured\n")
            let unheld = try await Self.run(["check", "--database", database, "--monitor", "polyv-other"])
            #expect(unheld.status == 3)
            #expect(unheld.stdout == "LIVEWATCH UNKNOWN - the database holds no polls of a monitor named polyv-other\n")
        }
    }

    /// The recommended systemd setup seen from an operator's shell: every secret a `{ credential: }`, `{ env: }`
    /// or `{ file: }` that cannot be read, and no `$CREDENTIALS_DIRECTORY`: the history commands still work,
    /// with `--config` or `--database`.
    @Test func theHistoryCommandsWorkWithoutTheSecrets() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.file("livewatch.db")
        try Self.storePolyvPoll(database, age: 5)
        let config = try Self.writeConfiguration(
            "livewatch.yaml", in: folder, database: database, Self.unresolvableMonitors)

        let validation = try await Self.run(["check-config", "--config", config])
        #expect(validation.status == 2, "the secrets are really out of reach: \(validation.stderr)")
        #expect(validation.stderr.contains("needs $CREDENTIALS_DIRECTORY"), "\(validation.stderr)")

        for source in [["--config", config], ["--database", database]] {
            let report = try await Self.run(["report", "polls"] + source)
            #expect(report.status == 0, "\(source): \(report.stderr)")
            #expect(report.stdout.contains("polyv-main"), "\(report.stdout)")
            let alerts = try await Self.run(["alerts"] + source)
            #expect(alerts.status == 0, "\(source): \(alerts.stderr)")
            #expect(alerts.stdout.contains("No alert is firing."), "\(alerts.stdout)")
            let integrity = try await Self.run(["db", "check"] + source)
            #expect(integrity.status == 0, "\(source): \(integrity.stderr)")
            #expect(integrity.stdout == "ok\n")
            let check = try await Self.run(["check", "--monitor", "polyv-main"] + source)
            #expect(check.status == 0, "\(source): \(check.stdout)")
            #expect(check.stdout.hasPrefix("LIVEWATCH OK - 1 monitor polled within max age"), "\(check.stdout)")
        }
        // `alerts` names the configured notifier (a name, its URL unread); every monitor is checked.
        let alerts = try await Self.run(["alerts", "--config", config])
        #expect(alerts.stdout.contains("hook"), "\(alerts.stdout)")
        let all = try await Self.run(["check", "--config", config])
        #expect(all.status == 2, "\(all.stdout)")
        #expect(
            all.stdout.hasPrefix("LIVEWATCH CRITICAL - tim-main: no successful poll recorded (+2 more: 2 critical) | "),
            "\(all.stdout)")

        // Both sources at once are bad arguments: 2 for the commands that say so, 3 (UNKNOWN) for the plugin.
        let both = ["--config", config, "--database", database]
        for command in [["report", "polls"], ["alerts"], ["db", "check"]] {
            let run = try await Self.run(command + both)
            #expect(run.status == 2, "\(command): \(run.stderr)")
            #expect(run.stderr == "error: --config and --database cannot be used together\n", "\(run.stderr)")
        }
        let check = try await Self.run(["check"] + both)
        #expect(check.status == 3)
        #expect(check.stdout == "LIVEWATCH UNKNOWN - --config and --database cannot be used together\n")
    }

    /// Literal secrets in the configuration (a warned-about practice) never reach the output of the history
    /// commands, on success or with a bad configuration.
    @Test func noSecretIsPrinted() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.file("livewatch.db")
        try Self.storePolyvPoll(database, age: 5, used: 5)
        let secrets = ["polyv-literal-secret-4f1d", "hook-token-77c2e1"]
        let monitors = """
            polyv:
              - name: polyv-main
                app_id: a
                app_secret: \(secrets[0])
            notifiers:
              - name: hook
                type: webhook
                url: https://hooks.example.com/notify?token=\(secrets[1])
            """
        let good = try Self.writeConfiguration("good.yaml", in: folder, database: database, monitors)
        let bad = try Self.writeConfiguration(
            "bad.yaml", in: folder, database: database, monitors + "\n    colour: \(secrets[0])\n")
        for arguments in [
            ["check", "--config", good], ["check", "--config", bad], ["report", "alerts", "--config", good],
            ["report", "polls", "--config", bad], ["alerts", "--config", good], ["db", "check", "--config", good],
        ] {
            let run = try await Self.run(arguments)
            #expect(!run.stdout.isEmpty || !run.stderr.isEmpty, "\(arguments)")
            for secret in secrets {
                #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret), "\(arguments): \(run)")
            }
        }
    }

    /// A database that is not there is never created: UNKNOWN for `check`, status 1 for the others, with
    /// `--config` as with `--database`; a file that is no database is UNKNOWN too.
    @Test func aMissingDatabaseIsNeverCreated() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let missing = folder.file("missing.db")
        let config = try Self.writeConfiguration(
            "livewatch.yaml", in: folder, database: missing, Self.unresolvableMonitors)
        for source in [["--config", config], ["--database", missing]] {
            let check = try await Self.run(["check"] + source)
            #expect(check.status == 3, "\(source): \(check.stdout)")
            #expect(check.stdout == "LIVEWATCH UNKNOWN - no database at \(missing) (has the daemon run yet?)\n")
            for command in [["report", "polls"], ["alerts"], ["db", "check"]] {
                let run = try await Self.run(command + source)
                #expect(run.status == 1, "\(command) \(source): \(run.stdout)\(run.stderr)")
                #expect(run.stderr.hasPrefix("error: "), "\(run.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: missing), "\(source) created the database")
        }
        let garbage = folder.file("garbage.db")
        try Data(String(repeating: "not a database\n", count: 300).utf8).write(to: URL(fileURLWithPath: garbage))
        let check = try await Self.run(["check", "--database", garbage])
        #expect(check.status == 3)
        #expect(check.stdout.hasPrefix("LIVEWATCH UNKNOWN - cannot read the database \(garbage): "), "\(check.stdout)")
        #expect(!check.stdout.dropLast().contains("\n"))
    }

    /// A monitor whose last success is older than three of its intervals, or than `--max-age`, is CRITICAL.
    @Test func aStaleMonitorIsCritical() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.file("livewatch.db")
        try Self.storePolyvPoll(database, age: 3_600)
        let config = try Self.writeConfiguration(
            "livewatch.yaml", in: folder, database: database,
            "polyv:\n  - name: polyv-main\n    app_id: a\n    app_secret: { env: LIVEWATCH_TEST_MISSING }\n    interval: 1m\n"
        )
        let stale = try await Self.run(["check", "--config", config])
        #expect(stale.status == 2, "\(stale.stdout)")
        #expect(
            stale.stdout.range(
                of:
                    #"^LIVEWATCH CRITICAL - polyv-main: last successful poll 1h([0-9]+s)? ago \(max age 3m\) \| 'polyv-main_residual'=3;2;0;0;5 'polyv-main_age'=36[0-9][0-9]s;;180;0\n$"#,
                options: .regularExpression) != nil, "\(stale.stdout)")
        let allowed = try await Self.run(["check", "--config", config, "--max-age", "2h"])
        #expect(allowed.status == 0, "\(allowed.stdout)")
        #expect(allowed.stdout.contains("'polyv-main_age'="), "\(allowed.stdout)")
        #expect(allowed.stdout.contains(";;7200;0"), "\(allowed.stdout)")
        let alone = try await Self.run(["check", "--database", database])
        #expect(alone.status == 2, "10m with --database alone: \(alone.stdout)")
        #expect(alone.stdout.contains("(max age 10m)"), "\(alone.stdout)")
    }

    /// Bad arguments, unknown options included, and a bad configuration are UNKNOWN (3), one line on
    /// standard output; `--help` still helps.
    @Test func badArgumentsAreUnknown() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.file("livewatch.db")
        try Self.storePolyvPoll(database, age: 1)
        let badConfig = try Self.writeConfiguration(
            "bad.yaml", in: folder, database: database,
            "polyv:\n  - name: p\n    app_id: a\n    app_secret: { env: X }\n    colour: blue\n")
        for (arguments, start) in [
            (["--frobnicate"], "LIVEWATCH UNKNOWN - bad arguments: "),
            (["--database"], "LIVEWATCH UNKNOWN - bad arguments: "),
            (["extra"], "LIVEWATCH UNKNOWN - bad arguments: "),
            (["--database", database, "--max-age", "banana"], "LIVEWATCH UNKNOWN - --max-age must be a duration"),
            (["--database", database, "--max-age", "0s"], "LIVEWATCH UNKNOWN - --max-age must be a duration"),
            (
                ["--config", badConfig],
                "LIVEWATCH UNKNOWN - bad configuration \(badConfig): line 8: p: colour: unknown key"
            ),
            (["--config", folder.file("absent.yaml")], "LIVEWATCH UNKNOWN - bad configuration"),
        ] {
            let run = try await Self.run(["check"] + arguments)
            #expect(run.status == 3, "\(arguments): \(run.stdout)\(run.stderr)")
            #expect(run.stdout.hasPrefix(start), "\(arguments): \(run.stdout)")
            #expect(run.stdout.filter { $0 == "\n" }.count == 1, "\(arguments): one line: \(run.stdout)")
        }
        let help = try await Self.run(["check", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: livewatch check"), "\(help.stdout)")
    }
}
