import ArgumentParser
import Foundation
import LiveWatch
import Logging
import SQLite
import VendorSimulator

/// Benchmarks that print figures (never timed unit tests).
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "livewatch-bench",
        abstract: "Prints livewatch's speed and memory figures.",
        subcommands: [
            PollCPU.self, InsertRate.self, RunRSS.self, Serve.self, TencentCrawl.self, TencentServe.self,
            MetaStudioPoll.self, ServeMetaStudio.self, History.self, AlertLogRate.self,
        ] + volcengineBenchmarks)
}

/// CPU time of this process (user + system), in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Resident set size of this process, in bytes (from /proc/self/status).
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let digits = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return digits * 1_024
    }
    return 0
}

let benchAppID = "bench-app"
let benchSecret = "bench-secret-0123456789abcdef"

/// Runs the simulator in a child process (so its CPU is not counted), returns its base URL.
final class ChildSimulator {
    let process = Process()
    let baseURL: String

    init(arguments: [String] = ["serve"]) throws {
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        process.standardOutput = pipe
        try process.run()
        var buffer = Data()
        while !buffer.contains(0x0A) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        baseURL = String(decoding: buffer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

func benchConfiguration(baseURL: String, folder: String, interval: Double) throws -> Configuration {
    guard let endpoint = URL(string: baseURL) else { throw ValidationError("bad simulator URL \(baseURL)") }
    var daemon = DaemonSettings()
    daemon.database = folder + "/bench.db"
    daemon.alertLog = folder + "/alerts.log"
    return Configuration(daemon: daemon, monitors: [
        .polyv(PolyvMonitorConfiguration(
            name: "polyv-bench", appID: benchAppID, appSecret: Secret(benchSecret), endpoint: endpoint,
            poll: PollSettings(interval: interval, timeout: 5, jitter: 0)))
    ])
}

func temporaryFolder() throws -> String {
    let folder = NSTemporaryDirectory() + "livewatch-bench-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(internal) run the simulator and print its URL.")

    func run() async throws {
        let simulator = VendorSimulator()
        try await simulator.start()
        simulator.polyv.addApplication(appID: benchAppID, secret: benchSecret, total: 10, used: 3)
        FileHandle.standardOutput.write(Data((simulator.baseURL + "\n").utf8))
        while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
    }
}

struct PollCPU: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll-cpu", abstract: "CPU time per Polyv poll (sign, HTTP, parse, store, alert) against the simulator.")

    @Option var polls = 2_000
    @Flag(help: "Only the vendor round trip (sign, HTTP, parse), without storing.") var noStore = false

    func run() async throws {
        let child = try ChildSimulator()
        defer { child.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configuration = try benchConfiguration(baseURL: child.baseURL, folder: folder, interval: 1)
        let store = try Store(path: configuration.daemon.database)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let recorder = PollRecorder(
            store: store, alertLog: AlertLog(path: configuration.daemon.alertLog), repeatInterval: 3_600,
            failureThreshold: 3, logger: logger)
        let transport = AsyncHTTPTransport()
        let pipeline = PollPipeline(recorder: recorder, logger: logger)
        guard let monitor = configuration.monitors.first else { return }
        let runtime = MonitorRuntime.make(monitor, transport: transport)
        for _ in 0..<50 { _ = await pipeline.run(runtime, deadline: 5) }  // warm up connections and caches
        let cpuBefore = processCPUSeconds()
        let wallBefore = Date()
        var failures = 0
        for _ in 0..<polls {
            if noStore {
                if !(await runtime.monitor.poll(deadline: 5).succeeded) { failures += 1 }
            } else if !(await pipeline.run(runtime, deadline: 5).0.succeeded) {
                failures += 1
            }
        }
        let cpu = processCPUSeconds() - cpuBefore
        let wall = Date().timeIntervalSince(wallBefore)
        await transport.shutdown()
        store.close()
        print(String(format: "poll-cpu%@: %d polls, %d failed; CPU %.3f ms/poll (goal <= 0.5), wall %.3f ms/poll",
                     noStore ? " (no store)" : "", polls, failures, cpu * 1_000 / Double(polls), wall * 1_000 / Double(polls)))
    }
}

struct InsertRate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "insert-rate", abstract: "mr_concurrency inserts/s through the wrapper against a raw C loop.")

    @Option var rows = 200_000
    @Option var rounds = 5

    func run() async throws {
        var wrapperBest = 0.0
        var rawBest = 0.0
        for _ in 0..<rounds {
            rawBest = max(rawBest, try rawLoop())
            wrapperBest = max(wrapperBest, try wrapperLoop())
        }
        print(String(format: "insert-rate: wrapper %.0f rows/s, raw C loop %.0f rows/s, ratio %.3f (goal >= 0.95)",
                     wrapperBest, rawBest, wrapperBest / rawBest))
    }

    func wrapperLoop() throws -> Double {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try Store(path: folder + "/w.db")
        defer { store.close() }
        let count = rows
        return try store.writeSynchronously { database in
            let started = Date()
            for index in 0..<count {
                try ObservationWriter.insertObservation(
                    .mrConcurrency(MRConcurrency(total: 10, used: index % 10, residual: 10 - index % 10, channelIDs: [])),
                    monitor: "polyv-main", at: Date(timeIntervalSince1970: Double(1_800_000_000 + index)), in: database)
            }
            return Double(count) / Date().timeIntervalSince(started)
        }
    }

    func rawLoop() throws -> Double {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The same schema and pragmas, then the plainest possible C-API loop.
        let database = try RawDatabase(path: folder + "/r.db")
        defer { database.close() }
        // The same three statements the wrapper runs per sample: the row and its hourly and daily rollups.
        let insert = try database.prepare("INSERT INTO mr_concurrency (monitor, observed_at, total, used, residual) VALUES (?, ?, ?, ?, ?)")
        let rollup = try database.prepare(RollupWriter.concurrencyUpsert.description)
        database.exec("BEGIN IMMEDIATE")
        let started = Date()
        for index in 0..<rows {
            let at = Int64(1_800_000_000 + index)
            let used = Int64(index % 10)
            insert.text(1, "polyv-main"); insert.int(2, at); insert.int(3, 10); insert.int(4, used); insert.int(5, 10 - used)
            database.step(insert)
            for (period, bucket) in [("hour", at - at % 3_600), ("day", at - at % 86_400)] {
                rollup.text(1, "polyv-main"); rollup.text(2, period); rollup.int(3, bucket)
                rollup.int(4, 10 - used); rollup.int(5, used); rollup.int(6, 10)
                database.step(rollup)
            }
        }
        let rate = Double(rows) / Date().timeIntervalSince(started)
        database.exec("COMMIT")
        return rate
    }
}

struct RunRSS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-rss", abstract: "RSS of the daemon polling every second, sampled each minute.")

    @Option var minutes = 10

    func run() async throws {
        let child = try ChildSimulator()
        defer { child.stop() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configuration = try benchConfiguration(baseURL: child.baseURL, folder: folder, interval: 1)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let counter = PollTally()
        let daemon = Daemon(configuration: configuration, logger: logger, observer: { event in
            if case .pollFinished(_, let ok, _) = event { counter.add(ok) }
        })
        let (signals, control) = AsyncStream<DaemonSignal>.makeStream()
        let running = Task { try await daemon.run(signals: signals) }
        print("run-rss: start RSS \(residentBytes() / 1_024) KiB")
        var samples: [Int] = []
        for minute in 1...max(1, minutes) {
            try await Task.sleep(nanoseconds: 60_000_000_000)
            samples.append(residentBytes())
            let (ok, failed) = counter.read()
            print("run-rss: minute \(minute): RSS \(samples.last.map { $0 / 1_024 } ?? 0) KiB, polls ok \(ok), failed \(failed)")
        }
        control.yield(.stop)
        try await running.value
        if let first = samples.first, let last = samples.last {
            print(String(format: "run-rss: after %d min RSS %.1f MB (goal <= 20), growth after minute 1: %+.1f MB",
                         minutes, Double(last) / 1e6, Double(last - first) / 1e6))
        }
    }
}

final class PollTally: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var ok = 0
    private var failed = 0
    func add(_ succeeded: Bool) {
        lock.lock()
        if succeeded { ok += 1 } else { failed += 1 }
        lock.unlock()
    }
    func read() -> (Int, Int) {
        lock.lock()
        defer { lock.unlock() }
        return (ok, failed)
    }
}
