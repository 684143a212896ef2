import Foundation
import SQLite
import Testing
import VendorSimulator

@testable import LiveWatch

/// The built `livewatch` runs every monitor type and a signing notifier against
/// the simulator with known secrets; afterwards no secret, and no value derived
/// from one (signatures, UserSigs, start links), is found anywhere the daemon
/// writes or shows: the database and its WAL, the alert log, stdout, stderr, its
/// command line, or the output of the operator commands that read the database.
@Suite struct SecretSweepTests {
    static let polyvSecret = "sweep-polyv-secret-4f2a9c81d7e3"
    static let timSecretKey = "sweep-tim-key-0b7e6d5c4a3f2e1d0c9b8a7f"
    static let huaweiSecretKey = "sweep-huawei-sk-93ac1e7f5b2d"
    static let huaweiAccessKey = "HPUASWEEPACCESSKEY0001"
    static let platformAuthKey = "sweep-platform-authkey-6e4c2a"
    static let volcSecretKey = "sweep-volc-sk-Q2xlYXJseVNlY3JldA=="
    static let volcAccessKey = "AKLTc3dlZXBhY2Nlc3M"
    static let notifierToken = "sweep-dingtalk-token-d41d8cd98f00"
    static let notifierSecret = "SECsweep-dingtalk-signing-secret-77"
    static let activity: Int64 = 1_776_000_123_456

    @Test func everyMonitorRunsWithoutAnySecretReachingDiskOutputOrCommandLine() async throws {
        let executable = try livewatchExecutable()
        let simulator = VendorSimulator()
        let receiver = NotificationReceiver(token: Self.notifierToken, dingTalkSecret: Self.notifierSecret)
        simulator.register(receiver)
        try await simulator.start()
        // Polyv with no concurrency left (an alert to notify), Tencent rooms over three pages,
        // a MetaStudio platform whose authorization ends in 12 hours and carries an auth key,
        // a Volcengine room with a viewing restriction secret and start links.
        simulator.polyv.addApplication(appID: "sweep-app", secret: Self.polyvSecret, total: 5, used: 5)
        simulator.tencentChat.addApplication(
            sdkAppID: 1_400_000_777, secretKey: Self.timSecretKey, administrator: "administrator")
        simulator.tencentChat.setRooms(count: 45)
        simulator.tencentChat.setRateLimit(50)
        simulator.metaStudio.addProject(
            "0123456789abcdef0123456789abcdef",
            platforms: [
                .init(
                    id: "p-1", name: "Taobao live", expiresIn: 12 * 3_600, account: "shop-1",
                    authKey: Self.platformAuthKey)
            ])
        simulator.metaStudio.addAccessKey(Self.huaweiAccessKey, secretKey: Self.huaweiSecretKey)
        simulator.volcengine.addAccount(accessKey: Self.volcAccessKey, secretKey: Self.volcSecretKey)
        simulator.volcengine.addActivity(Self.activity)

        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let credentials = folder.file("credentials")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        for (name, value) in [
            ("tim-key", Self.timSecretKey), ("huawei-ak", Self.huaweiAccessKey), ("huawei-sk", Self.huaweiSecretKey),
            ("dingtalk-url", receiver.url(.dingtalk, baseURL: simulator.baseURL)),
            ("dingtalk-secret", Self.notifierSecret),
        ] {
            try Data(value.utf8).write(to: URL(fileURLWithPath: credentials + "/" + name))
        }
        try Data((Self.volcSecretKey + "\n").utf8).write(to: URL(fileURLWithPath: folder.file("volc.sk")))
        let database = folder.file("sweep.db")
        let alertLog = folder.file("alerts.log")
        let config = try folder.writeConfiguration(
            database: "sweep.db",
            """
            defaults:
              interval: 1s
              jitter: 0%
              timeout: 5s
            polyv:
              - name: sweep-polyv
                app_id: sweep-app
                app_secret: { env: SWEEP_POLYV_SECRET }
                endpoint: \(simulator.baseURL)
            tencent_chat:
              - name: sweep-tim
                sdk_app_id: 1400000777
                identifier: administrator
                secret_key: { credential: tim-key }
                endpoint: \(simulator.baseURL)
                rate_limit: 40
                interval: 2s
            metastudio:
              - name: sweep-metastudio
                project_id: 0123456789abcdef0123456789abcdef
                endpoint: \(simulator.baseURL)
                access_key: { credential: huawei-ak }
                secret_key: { credential: huawei-sk }
            volcengine:
              - name: sweep-volc
                access_key: { env: SWEEP_VOLC_AK }
                secret_key: { file: \(folder.file("volc.sk")) }
                endpoint: \(simulator.baseURL)
                activity_ids: [\(Self.activity)]
                live_client_links: true
                guest_names: [嘉宾A]
            notifiers:
              - name: sweep-dingtalk
                type: dingtalk
                url: { credential: dingtalk-url }
                secret: { credential: dingtalk-secret }
            """)
        let environment = [
            "SWEEP_POLYV_SECRET": Self.polyvSecret, "SWEEP_VOLC_AK": Self.volcAccessKey,
            "CREDENTIALS_DIRECTORY": credentials, "PATH": "/usr/bin:/bin",
        ]

        let daemon = try LivewatchProcess.start(
            ["run", "--config", config, "--log-level", "trace"], in: folder, environment: environment)
        let process = daemon.process
        let stdoutPath = daemon.stdoutPath
        let stderrPath = daemon.stderrPath
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Wait (with a deadline) until every monitor has polled successfully and the notifier delivered.
        let monitors = ["sweep-polyv", "sweep-tim", "sweep-metastudio", "sweep-volc"]
        let deadline = Date().addingTimeInterval(90)
        var succeeded: Set<String> = []
        while Date() < deadline, process.isRunning {
            if FileManager.default.fileExists(atPath: database),
                let reader = try? Database(path: database, options: .init(readOnly: true)),
                let rows = try? reader.query("SELECT DISTINCT monitor FROM polls WHERE ok = 1")
            {
                succeeded = Set(rows.compactMap { $0.string("monitor") })
            }
            if succeeded.isSuperset(of: monitors), receiver.received(.dingtalk).contains(where: \.accepted),
                !simulator.tencentChat.userSigsSeen.isEmpty
            {
                break
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        let earlyError = String(
            decoding: (try? Data(contentsOf: URL(fileURLWithPath: stderrPath))) ?? Data(), as: UTF8.self)
        #expect(process.isRunning, "the daemon exited early: \(earlyError.suffix(2_000))")
        #expect(succeeded.isSuperset(of: monitors), "monitors with a successful poll: \(succeeded.sorted())")
        #expect(receiver.received(.dingtalk).contains { $0.accepted }, "the signed notifier delivered nothing")

        // While it runs: its command line, and the database with its WAL as they are on disk.
        let commandLine = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(process.processIdentifier)/cmdline"))
        let liveDatabase = try Data(contentsOf: URL(fileURLWithPath: database))
        let liveWAL = (try? Data(contentsOf: URL(fileURLWithPath: database + "-wal"))) ?? Data()
        #expect(liveWAL.count > 0 || liveDatabase.count > 0)

        kill(process.processIdentifier, SIGTERM)
        try await waitForExit(process)
        #expect(process.terminationStatus == 0)

        // The operator commands that read what the daemon wrote.
        var commandOutputs: [(String, Data)] = []
        for arguments in [
            ["check-config", "--config", config], ["alerts", "--config", config],
            ["report", "authorizations", "--config", config, "--format", "json"],
            ["report", "polls", "--config", config, "--format", "csv"], ["db", "check", "--config", config],
        ] {
            let output = try await runToEnd(executable, arguments, environment: environment).output
            commandOutputs.append(
                ("output of livewatch \(arguments.prefix { !$0.hasPrefix("--") }.joined(separator: " "))", output))
        }

        // What was derived from the secrets on the wire: Polyv's sign, MetaStudio's signature, every UserSig,
        // Volcengine's restriction secret and start links.
        var secrets: [String: String] = [
            "Polyv app secret": Self.polyvSecret, "Tencent secret key": Self.timSecretKey,
            "Huawei secret key": Self.huaweiSecretKey, "platform auth key": Self.platformAuthKey,
            "Volcengine secret key": Self.volcSecretKey, "DingTalk token": Self.notifierToken,
            "DingTalk signing secret": Self.notifierSecret,
        ]
        if let sign = simulator.polyv.lastQuery?.split(separator: "&").first(where: { $0.hasPrefix("sign=") })?
            .dropFirst(5)
        {
            secrets["Polyv sign"] = String(sign)
        }
        if let signature = simulator.metaStudio.lastSignature { secrets["MetaStudio signature"] = signature }
        for (index, userSig) in simulator.tencentChat.userSigsSeen.enumerated() {
            secrets["UserSig \(index)"] = userSig
        }
        for restriction in simulator.volcengine.restrictions(activityID: Self.activity)
        where !restriction.secretKey.isEmpty {
            secrets["viewing restriction secret \(restriction.type)"] = restriction.secretKey
        }
        if let host = simulator.volcengine.hostLink(activityID: Self.activity) {
            secrets["host start link"] = host.url
            secrets["temporary start link"] = host.temporaryURL
        }
        if let guest = simulator.volcengine.guestLink(activityID: Self.activity, name: "嘉宾A") {
            secrets["guest link"] = guest
        }
        #expect(secrets.keys.contains("Polyv sign") && secrets.keys.contains("MetaStudio signature"))
        #expect(secrets.keys.contains("host start link") && secrets.keys.contains("guest link"))
        #expect(secrets.keys.contains { $0.hasPrefix("UserSig") })

        var places: [(String, Data)] = [
            ("command line", commandLine), ("database while running", liveDatabase), ("WAL while running", liveWAL),
            ("database after exit", try Data(contentsOf: URL(fileURLWithPath: database))),
            ("WAL after exit", (try? Data(contentsOf: URL(fileURLWithPath: database + "-wal"))) ?? Data()),
            ("alert log", try Data(contentsOf: URL(fileURLWithPath: alertLog))),
            ("stdout", try Data(contentsOf: URL(fileURLWithPath: stdoutPath))),
            ("stderr", try Data(contentsOf: URL(fileURLWithPath: stderrPath))),
        ]
        places += commandOutputs
        // The sweep looks at real content: the alert log holds the Polyv alert, stderr the trace lines.
        #expect(String(decoding: places[5].1, as: UTF8.self).contains("mr_concurrency_exhausted"))
        let stderrText = String(decoding: places[7].1, as: UTF8.self)
        #expect(monitors.allSatisfy { stderrText.contains("monitor=\($0)") }, "stderr: \(stderrText)")
        for (place, bytes) in places {
            for (name, secret) in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "the \(name) is in the \(place)")
            }
        }
        await simulator.shutdown()
    }

    /// Secrets with control characters (a token file with a line break inside, an environment value with
    /// a CR inside): `check-config`, `poll` and `run` refuse the file with exit status 2, naming monitor
    /// and key; no part of either secret reaches their output. CRLF line ends alone are trimmed and accepted.
    @Test func aSecretWithAControlCharacterIsAConfigurationErrorThatQuotesNothing() async throws {
        let executable = try livewatchExecutable()
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let tokenHalves = ("sweep-ctl-token-first-7d3a", "sweep-ctl-token-second-91bf")
        let keyHalves = ("AKLTsweepctlfirst", "sweepctlsecond0042")
        try Data((tokenHalves.0 + "\n" + tokenHalves.1 + "\n").utf8).write(
            to: URL(fileURLWithPath: folder.file("token")))
        let config = try folder.writeConfiguration(
            database: "ctl.db",
            """
            metastudio:
              - name: hw-ctl
                project_id: 0123456789abcdef0123456789abcdef
                endpoint: http://127.0.0.1:9
                token: { file: \(folder.file("token")) }
            volcengine:
              - name: volc-ctl
                access_key: { env: CTL_VOLC_AK }
                secret_key: { env: CTL_VOLC_SK }
                endpoint: http://127.0.0.1:9
                activity_ids: [1]
            """)
        let environment = [
            "CTL_VOLC_AK": keyHalves.0 + "\r" + keyHalves.1 + "\r\n", "CTL_VOLC_SK": "volc-sk-with-crlf\r\n",
            "PATH": "/usr/bin:/bin",
        ]
        for command in ["check-config", "poll", "run"] {
            let run = try await runToEnd(executable, [command, "--config", config], environment: environment)
            let output = String(decoding: run.output, as: UTF8.self)
            #expect(run.status == 2, "\(command): \(output)")
            #expect(
                output.contains("hw-ctl: token: file \(folder.file("token")) holds a control character"), "\(output)")
            #expect(output.contains("volc-ctl: access_key: environment variable CTL_VOLC_AK holds a control character"))
            #expect(
                !output.contains("volc-ctl: secret_key"), "a value with only a CRLF line end is accepted: \(output)")
            for half in [tokenHalves.0, tokenHalves.1, keyHalves.0, keyHalves.1] {
                #expect(!output.contains(half), "\(command) printed part of a secret")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("ctl.db")))
    }
}
