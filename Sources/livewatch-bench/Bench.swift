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
            MetaStudioPoll.self, ServeMetaStudio.self, History.self, AlertLogRate.self, CheckLatency.self,
            MetricsScrape.self, Steady.self, Crawl.self, ServeAll.self, Floor.self, Startup.self,
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
    procStatusBytes("self", field: "VmRSS") ?? 0
}

/// A size field of `/proc/PROCESS/status` (`VmRSS`, `VmHWM`, ...) in bytes; nil if the process or field is gone.
func procStatusBytes(_ process: String, field: String) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1_024 }
    }
    return nil
}

let benchAppID = "bench-app"
let benchSecret = "bench-secret-0123456789abcdef"

/// The simulator in a child process (so its CPU is not counted): it prints its base URL, then may answer
/// lines sent to its standard input (`ask`).
final class ChildSimulator {
    let process = Process()
    let baseURL: String
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()

    init(arguments: [String] = ["serve"]) throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        baseURL = Self.readLine(from: output, buffer: &buffer) ?? ""
    }

    private static func readLine(from pipe: Pipe, buffer: inout Data) -> String? {
        while !buffer.contains(0x0A) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
        guard let newline = buffer.firstIndex(of: 0x0A) else { return nil }
        let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
        buffer = Data(buffer[(newline + 1)...])
        return line.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Sends `line` to the child and returns its one-line answer.
    func ask(_ line: String) -> String? {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        return Self.readLine(from: output, buffer: &buffer)
    }

    /// The simulator's base URL, parsed.
    func endpoint() throws -> URL {
        guard let url = URL(string: baseURL) else { throw ValidationError("bad simulator URL \(baseURL)") }
        return url
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// Runs `body` with the simulator in a child process (`arguments` choose and fill it) and a new temporary
/// folder; afterwards, returned or thrown, the child is stopped and the folder removed.
func withChildSimulator(_ arguments: [String] = ["serve"], _ body: (ChildSimulator, String) async throws -> Void)
    async throws
{
    let child = try ChildSimulator(arguments: arguments)
    defer { child.stop() }
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try await body(child, folder)
}

/// The `serve` commands' body: starts a simulator, lets `configure` fill it, prints its base URL (the line
/// `ChildSimulator` reads), then runs `serve` (by default, serves until the process is killed).
func serveSimulator(
    _ configure: (VendorSimulator) -> Void,
    then serve: (VendorSimulator) async throws -> Void = { _ in
        while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
    }
) async throws {
    let simulator = VendorSimulator()
    try await simulator.start()
    configure(simulator)
    FileHandle.standardOutput.write(Data((simulator.baseURL + "\n").utf8))
    try await serve(simulator)
}

/// The daemon's poll pipeline with its store and alert log in `folder` (no log lines), as the benchmarks drive it.
struct BenchPipeline {
    let store: Store
    let pipeline: PollPipeline

    init(folder: String, database: String = "bench.db") throws {
        store = try Store(path: folder + "/" + database)
        let logger = silentLogger()
        let recorder = PollRecorder(
            store: store, alertLog: AlertLog(path: folder + "/alerts.log"), repeatInterval: 3_600, failureThreshold: 3,
            logger: logger)
        pipeline = PollPipeline(recorder: recorder, logger: logger)
    }

    /// One poll of `runtime` through the pipeline.
    func poll(_ runtime: MonitorRuntime, deadline: Double) async -> PollReport {
        await pipeline.run(runtime, deadline: deadline).0
    }
}

/// A logger that lets only critical lines through.
func silentLogger() -> Logger {
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    return logger
}

/// Wall and CPU seconds something took.
typealias Measured = (wall: Double, cpu: Double)

/// Runs `body` and returns the wall and CPU seconds it took.
func measure(_ body: () throws -> Void) rethrows -> Measured {
    let cpu = processCPUSeconds()
    let started = Date()
    try body()
    let wall = Date().timeIntervalSince(started)
    return (wall, processCPUSeconds() - cpu)
}

/// What `count` measured polls took and produced.
struct PollFigures {
    var cpu = 0.0
    var wall = 0.0
    var failures = 0
    var requests = 0
}

/// Runs `poll` `count` times and measures the CPU and wall time of all of them; a poll `succeeded` refuses
/// counts as failed.
func measurePolls(
    _ count: Int, succeeded: (PollReport) -> Bool = \.succeeded, _ poll: () async -> PollReport
) async -> PollFigures {
    var figures = PollFigures()
    let cpuBefore = processCPUSeconds()
    let wallBefore = Date()
    for _ in 0..<count {
        let report = await poll()
        if !succeeded(report) { figures.failures += 1 }
        figures.requests += report.requests
    }
    figures.cpu = processCPUSeconds() - cpuBefore
    figures.wall = Date().timeIntervalSince(wallBefore)
    return figures
}

func benchConfiguration(endpoint: URL, folder: String, interval: Double) throws -> Configuration {
    var daemon = DaemonSettings()
    daemon.database = folder + "/bench.db"
    daemon.alertLog = folder + "/alerts.log"
    return Configuration(
        daemon: daemon,
        monitors: [
            .polyv(
                PolyvMonitorConfiguration(
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
        try await serveSimulator { simulator in
            simulator.polyv.addApplication(appID: benchAppID, secret: benchSecret, total: 10, used: 3)
        }
    }
}

struct PollCPU: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll-cpu",
        abstract: "CPU time per Polyv poll (sign, HTTP, parse, store, alert) against the simulator.")

    @Option var polls = 2_000
    @Flag(help: "Only the vendor round trip (sign, HTTP, parse), without storing.") var noStore = false

    func run() async throws {
        try await withChildSimulator { child, folder in
            let configuration = try benchConfiguration(endpoint: child.endpoint(), folder: folder, interval: 1)
            let bench = try BenchPipeline(folder: folder)
            let transport = AsyncHTTPTransport()
            guard let monitor = configuration.monitors.first else { return }
            let runtime = MonitorRuntime.make(monitor, transport: transport)
            for _ in 0..<50 { _ = await bench.poll(runtime, deadline: 5) } // warm up connections and caches
            let figures = await measurePolls(polls) {
                noStore ? await runtime.monitor.poll(deadline: 5) : await bench.poll(runtime, deadline: 5)
            }
            await transport.shutdown()
            bench.store.close()
            print(
                String(
                    format: "poll-cpu%@: %d polls, %d failed; CPU %.3f ms/poll (goal <= 0.5), wall %.3f ms/poll",
                    noStore ? " (no store)" : "", polls, figures.failures, figures.cpu * 1_000 / Double(polls),
                    figures.wall * 1_000 / Double(polls)))
        }
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
        print(
            String(
                format: "insert-rate: wrapper %.0f rows/s, raw C loop %.0f rows/s, ratio %.3f (goal >= 0.95)",
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
                    .mrConcurrency(
                        MRConcurrency(total: 10, used: index % 10, residual: 10 - index % 10, channelIDs: [])),
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
        let insert = try database.prepare(
            "INSERT INTO mr_concurrency (monitor, observed_at, total, used, residual) VALUES (?, ?, ?, ?, ?)")
        let rollup = try database.prepare(RollupWriter.concurrencyUpsert.description)
        database.exec("BEGIN IMMEDIATE")
        let started = Date()
        for index in 0..<rows {
            let at = Int64(1_800_000_000 + index)
            let used = Int64(index % 10)
            insert.text(1, "polyv-main")
            insert.int(2, at)
            insert.int(3, 10)
            insert.int(4, used)
            insert.int(5, 10 - used)
            database.step(insert)
            for (period, bucket) in [("hour", at - at % 3_600), ("day", at - at % 86_400)] {
                rollup.text(1, "polyv-main")
                rollup.text(2, period)
                rollup.int(3, bucket)
                rollup.int(4, 10 - used)
                rollup.int(5, used)
                rollup.int(6, 10)
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
        try await withChildSimulator { child, folder in
            let configuration = try benchConfiguration(endpoint: child.endpoint(), folder: folder, interval: 1)
            let logger = silentLogger()
            let counter = PollTally()
            let daemon = Daemon(
                configuration: configuration, logger: logger,
                observer: { event in
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
                print(
                    "run-rss: minute \(minute): RSS \(samples.last.map { $0 / 1_024 } ?? 0) KiB, polls ok \(ok), failed \(failed)"
                )
            }
            control.yield(.stop)
            try await running.value
            if let first = samples.first, let last = samples.last {
                print(
                    String(
                        format: "run-rss: after %d min RSS %.1f MB (goal <= 20), growth after minute 1: %+.1f MB",
                        minutes, Double(last) / 1e6, Double(last - first) / 1e6))
            }
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
