import Foundation
import LiveWatch
import Logging
import Synchronization
import VendorSimulator

/// The `livewatch demo` story: the simulator of the four vendor APIs on loopback, the daemon
/// against it with short intervals, and a script of vendor changes (concurrency used up, a cursor
/// that never ends, a rotated restriction secret, an expiring authorization) whose alerts fire
/// and resolve. What it shows goes to `output`, a line at a time.
public struct DemoScenario: Sendable {
    /// How long the story runs, in seconds.
    public let seconds: Double
    /// Where the demo's files go (a new temporary folder when nil).
    public let directory: String?
    /// Where the daemon's own log lines go.
    public let logger: Logger

    /// A scenario of `seconds` (the story's steps are spread over it).
    public init(seconds: Double, directory: String? = nil, logger: Logger = Logger(label: "livewatch-demo")) {
        self.seconds = seconds
        self.directory = directory
        self.logger = logger
    }

    /// Runs the whole story, then prints where to look.
    public func run(output: @Sendable (String) -> Void) async throws {
        let print = output
        let total = seconds
        let directory = self.directory
        let folder = directory ?? NSTemporaryDirectory() + "livewatch-demo-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let simulator = VendorSimulator()
        try await simulator.start()
        let appID = "demo-app"
        let secret = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        simulator.polyv.addApplication(appID: appID, secret: secret, total: 8, used: 0)
        // The forecast looks ahead, over the same span back, 30% of the story (at least 6 s: 5 polls fit).
        let forecast = Int(max(6, (total * 0.3).rounded()))
        let secretPath = folder + "/polyv.secret"
        try Data(secret.utf8).write(to: URL(fileURLWithPath: secretPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretPath)
        let metaStudio = try MetaStudioDemo.prepare(simulator: simulator, folder: folder)
        let configPath = folder + "/livewatch.yaml"
        let tencent = try TencentChatDemo.make(simulator: simulator, folder: folder, database: folder + "/livewatch.db")
        let volcengine = try VolcengineDemo.configure(simulator, folder: folder, database: folder + "/livewatch.db")
        let yaml = """
            daemon:
              database: \(folder)/livewatch.db
              alert_log: \(folder)/alerts.log
              failure_threshold: 2
              repeat_interval: 1h
              max_backoff: 2s
            defaults:
              interval: 1s
              timeout: 2s
              jitter: 0%
            polyv:
              - name: polyv-demo
                app_id: \(appID)
                app_secret: { file: \(secretPath) }
                endpoint: \(simulator.baseURL)
                residual_warning: 1
                residual_critical: 0
                forecast_horizon: \(forecast)s
                forecast_window: \(forecast)s

            """ + tencent.yaml + volcengine.yaml + metaStudio.yaml
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: configPath))
        let configuration = try ConfigurationLoader().load(path: configPath)

        print("livewatch demo: simulator on \(simulator.baseURL), files in \(folder)")
        print(
            "Polyv account \(appID): 8 concurrent MR streams, none in use. Polling every second; "
                + "the forecast looks \(forecast)s ahead.")
        print(tencent.introduction + "\n")
        print(volcengine.introduction + "\n")
        print(metaStudio.introduction + "\n")

        let polls = PollCounter()
        let daemon = Daemon(
            configuration: configuration, logger: logger,
            observer: { event in
                if case .pollFinished(_, let succeeded, _) = event { polls.add(succeeded: succeeded) }
            })
        let (signals, stop) = AsyncStream<DaemonSignal>.makeStream()
        let running = Task { try await daemon.run(signals: signals) }
        let tail = AlertTail(path: configuration.daemon.alertLog)

        // Streams start one by one (the forecast sees the trend), the last but one at 32%, the last at 36%.
        let rise: [(Double, String, @Sendable () -> Void)] = (1...7).map { used in
            (
                0.32 * Double(used) / 7, "a stream starts: \(used) of 8 in use",
                { simulator.polyv.setUsed(appID: appID, used: used) }
            )
        }
        let polyvStory: [(Double, String, @Sendable () -> Void)] = [
            (0.36, "every stream taken: residual 0", { simulator.polyv.setResidual(appID: appID, residual: 0) }),
            (0.45, "shows end: residual 6", { simulator.polyv.setResidual(appID: appID, residual: 6) }),
            (0.60, "Polyv answers HTTP 500 from now on", { simulator.polyv.faults.setStanding(.serverError) }),
            (0.80, "Polyv recovers", { simulator.polyv.faults.setStanding(nil) }),
        ]
        let story = ((rise + polyvStory).merging(tencent.story) + volcengine.story + metaStudio.story).sorted {
            $0.0 < $1.0
        }
        let start = Date()
        var next = 0
        while Date().timeIntervalSince(start) < total {
            let elapsed = Date().timeIntervalSince(start)
            while next < story.count, elapsed >= story[next].0 * total {
                print(String(format: "[%5.1fs] simulator: %@", elapsed, story[next].1))
                story[next].2()
                next += 1
            }
            for line in tail.newLines() {
                print(String(format: "[%5.1fs] alert log: %@", Date().timeIntervalSince(start), line))
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        stop.yield(.stop)
        stop.finish()
        try await running.value
        for line in tail.newLines() { print("        alert log: \(line)") }
        await simulator.shutdown()
        let counts = polls.counts
        print(
            """

            \(counts.ok + counts.failed) polls (\(counts.ok) ok, \(counts.failed) failed) stored in \(configuration.daemon.database)
            Look around:
              sqlite3 \(configuration.daemon.database) '\(SampleQueries.latestConcurrency)'
              sqlite3 \(configuration.daemon.database) '\(SampleQueries.alerts)'
              sqlite3 \(configuration.daemon.database) '\(SampleQueries.latestPlatforms)'
              cat \(configuration.daemon.alertLog)
            """ + (tencent.lookAround + volcengine.lookAround).map { "\n  " + $0 }.joined())
    }
}

/// Counts polls from the scheduler's events.
final class PollCounter: Sendable {
    private let state = Mutex((ok: 0, failed: 0))

    func add(succeeded: Bool) {
        state.withLock { counts in
            if succeeded { counts.ok += 1 } else { counts.failed += 1 }
        }
    }

    var counts: (ok: Int, failed: Int) { state.withLock { $0 } }
}

/// Reads lines appended to a file since the last call.
final class AlertTail {
    let path: String
    private var offset: UInt64 = 0

    init(path: String) { self.path = path }

    func newLines() -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = handle.readDataToEndOfFile()
        guard let lastNewline = data.lastIndex(of: 0x0A) else { return [] }
        let complete = data[data.startIndex...lastNewline]
        offset += UInt64(complete.count)
        return String(decoding: complete, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
