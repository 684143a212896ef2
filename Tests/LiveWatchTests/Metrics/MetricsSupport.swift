import Foundation
import VendorSimulator

@testable import LiveWatch

/// One simulator serving all four vendors and a webhook receiver, with known secrets, and the
/// configuration of a daemon polling them every second with `daemon.listen: 127.0.0.1:0`.
struct MetricsWorld: ServerFixture {
    static let polyvSecret = "metrics-polyv-secret-5be1c2d9"
    static let timSecretKey = "metrics-tim-key-0c7e2d5b4a3f2e1d"
    static let huaweiAccessKey = "HPUAMETRICSACCESSKEY01"
    static let huaweiSecretKey = "metrics-huawei-sk-71ac9e3f"
    static let platformAuthKey = "metrics-platform-authkey-3d9c1b"
    static let volcAccessKey = "AKLTbWV0cmljc2FjY2Vzcw"
    static let volcSecretKey = "metrics-volc-sk-TWV0cmljc1NlY3JldA=="
    static let receiverToken = "metrics-receiver-token-8a1f0e"
    static let project = "0123456789abcdef0123456789abcdef"
    static let activity: Int64 = 1_776_000_555_001
    static var secrets: [String] {
        [
            polyvSecret, timSecretKey, huaweiAccessKey, huaweiSecretKey, platformAuthKey, volcAccessKey,
            volcSecretKey, receiverToken,
        ]
    }

    let simulator: VendorSimulator
    let receiver: NotificationReceiver
    let transport: AsyncHTTPTransport
    let folder: TemporaryFolder

    static func start() async throws -> MetricsWorld {
        let simulator = VendorSimulator()
        let receiver = NotificationReceiver(token: receiverToken)
        simulator.register(receiver)
        try await simulator.start()
        simulator.polyv.addApplication(appID: "metrics-app", secret: polyvSecret, total: 5, used: 5)
        simulator.tencentChat.addApplication(
            sdkAppID: 1_400_000_555, secretKey: timSecretKey, administrator: "administrator")
        simulator.tencentChat.setRooms(count: 45)
        simulator.tencentChat.setRateLimit(50)
        simulator.metaStudio.addProject(
            project,
            platforms: [
                .init(
                    id: "p-1", name: "Taobao live", expiresIn: 12 * 3_600, account: "shop-1", authKey: platformAuthKey),
                .init(id: "p-2", name: "Douyin", state: "UNAUTHORIZED", expiresIn: nil),
            ])
        simulator.metaStudio.addAccessKey(huaweiAccessKey, secretKey: huaweiSecretKey)
        simulator.volcengine.addAccount(accessKey: volcAccessKey, secretKey: volcSecretKey)
        simulator.volcengine.addActivity(activity)
        return MetricsWorld(
            simulator: simulator, receiver: receiver, transport: AsyncHTTPTransport(), folder: try TemporaryFolder())
    }

    func stop() async {
        await transport.shutdown()
        await simulator.shutdown()
        folder.remove()
    }

    var database: String { folder.file("metrics.db") }

    /// The configuration, `listen` as given (absent: none).
    func configuration(listen: String? = "127.0.0.1:0") throws -> Configuration {
        let base = simulator.baseURL
        let yaml = """
            daemon:
              database: \(database)
              alert_log: \(folder.file("alerts.log"))
              shutdown_timeout: 5s
            \(listen.map { "  listen: \"\($0)\"" } ?? "")
            defaults:
              interval: 1s
              jitter: 0%
              timeout: 5s
            polyv:
              - name: m-polyv
                app_id: metrics-app
                app_secret: { env: POLYV }
                endpoint: \(base)
            tencent_chat:
              - name: m-tim
                sdk_app_id: 1400000555
                identifier: administrator
                secret_key: { env: TIM }
                endpoint: \(base)
                rate_limit: 50
            metastudio:
              - name: m-meta
                project_id: \(Self.project)
                endpoint: \(base)
                access_key: { env: HUAWEI_AK }
                secret_key: { env: HUAWEI_SK }
            volcengine:
              - name: m-volc
                access_key: { env: VOLC_AK }
                secret_key: { env: VOLC_SK }
                endpoint: \(base)
                activity_ids: [\(Self.activity)]
                live_client_links: true
            notifiers:
              - name: hook
                type: webhook
                url: { env: HOOK }
            """
        let environment = [
            "POLYV": Self.polyvSecret, "TIM": Self.timSecretKey, "HUAWEI_AK": Self.huaweiAccessKey,
            "HUAWEI_SK": Self.huaweiSecretKey, "VOLC_AK": Self.volcAccessKey, "VOLC_SK": Self.volcSecretKey,
            "HOOK": receiver.url(.webhook, baseURL: base) + "?token=" + Self.receiverToken,
        ]
        return try ConfigurationLoader(environment: environment).parse(yaml)
    }

    /// One request to the listener on `port`.
    func request(_ port: Int, _ path: String, method: String = "GET") async throws -> IncomingResponse {
        try await transport.perform(
            OutgoingRequest(method: method, url: "http://127.0.0.1:\(port)\(path)", timeout: 5))
    }

    /// The page of `/metrics`, parsed.
    func scrape(_ port: Int) async throws -> Exposition {
        let response = try await request(port, "/metrics")
        guard response.status == 200 else { throw RequireError(message: "/metrics answered \(response.status)") }
        return Exposition(String(decoding: response.body, as: UTF8.self))
    }
}

/// The port the daemon logged its listener on (waits for the line).
func listenerPort(_ log: CapturedLog) async throws -> Int {
    var port: Int?
    try await waitUntil {
        guard let range = log.text.range(of: #"metrics listener on 127\.0\.0\.1:[0-9]+"#, options: .regularExpression)
        else { return false }
        port = Int(log.text[range].split(separator: ":").last ?? "")
        return port != nil
    }
    return try require(port)
}

/// A Prometheus text exposition page, parsed by the format's rules (strictly enough for the tests).
struct Exposition {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    var helps: [String: Int] = [:]
    var types: [String: String] = [:]
    var typeLines: [String: Int] = [:]
    var samples: [Sample] = []
    /// Lines that are neither a comment nor a well-formed sample.
    var malformed: [String] = []

    init(_ text: String) {
        self.text = text
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.isEmpty { continue }
            if line.hasPrefix("# HELP ") {
                let name = String(line.dropFirst(7).prefix { $0 != " " })
                helps[name, default: 0] += 1
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2 else {
                    malformed.append(line)
                    continue
                }
                types[String(parts[0])] = String(parts[1])
                typeLines[String(parts[0]), default: 0] += 1
            } else if let sample = Self.sample(line) {
                samples.append(sample)
            } else {
                malformed.append(line)
            }
        }
    }

    static func sample(_ line: String) -> Sample? {
        var rest = Substring(line)
        let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        guard !name.isEmpty else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { return nil }
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                labels[key] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { return nil }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " ", let value = Double(rest.dropFirst().split(separator: " ").first ?? "")
        else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    /// The family a sample belongs to (a histogram's `_bucket`, `_sum`, `_count` belong to it).
    func family(of sample: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return sample
    }

    /// The value of the series with exactly these labels.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every label set of `name`.
    func series(_ name: String) -> [[String: String]] {
        samples.filter { $0.name == name }.map(\.labels)
    }
}

/// The one complaint promtool's linter makes of the page, about a name the interface fixes: the gauge
/// `livewatch_mr_concurrency_total` ends in `_total`, which the linter keeps for counters.
let promtoolAcceptedLint = #"livewatch_mr_concurrency_total non-counter metrics should not have "_total" suffix"#

/// Runs `promtool check metrics` on `page` when promtool is installed; with `CI` set, a missing
/// promtool is a failure. Returns what promtool found wrong beyond `promtoolAcceptedLint` (empty:
/// accepted), nil when it did not run. A page promtool cannot parse is always wrong.
func promtoolProblems(_ page: String) async throws -> String? {
    let candidates = ["/usr/bin/promtool", "/usr/local/bin/promtool"]
    guard let promtool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        if ProcessInfo.processInfo.environment["CI"] != nil {
            throw RequireError(message: "promtool is not installed (Debian package prometheus): CI must run it")
        }
        return nil
    }
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let input = folder.file("page.txt")
    try Data(page.utf8).write(to: URL(fileURLWithPath: input))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "\"$0\" check metrics < \"$1\" > \"$2\" 2>&1", promtool, input, folder.file("out")]
    try process.run()
    try await waitForExit(process, timeout: 30)
    let output = String(decoding: FileManager.default.contents(atPath: folder.file("out")) ?? Data(), as: UTF8.self)
    let status = process.terminationStatus
    // 0: clean; 3: lint findings only (anything else, a parse error among them, is wrong as it is).
    guard status == 0 || status == 3 else { return "status \(status): \(output)" }
    let findings = output.split(separator: "\n").filter { !$0.isEmpty && !$0.contains(promtoolAcceptedLint) }
    return findings.joined(separator: "\n")
}
