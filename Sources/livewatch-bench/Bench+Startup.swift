import ArgumentParser
import Foundation

/// `startup`: what a short command costs the binary: `livewatch --version` (the process, its runtimes and the
/// command line parsed, nothing else) and, with `--database`, `livewatch check --database` (the monitoring
/// plugin a scheduler starts every minute).
struct Startup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup",
        abstract: "livewatch --version and livewatch check: peak RSS, CPU and context switches per run (medians).")

    @Option(help: "The livewatch binary (default: the one beside this benchmark).") var livewatch: String?
    @Option(help: "Runs of each command.") var runs = 9
    @Option(help: "A livewatch database for `check --database` (e.g. one a steady run kept).") var database: String?

    func run() async throws {
        let binary = try livewatchBinary(livewatch)
        print("startup: livewatch \(binary), \(runs) runs each, medians")
        print("startup: --version: " + (try Self.measure(binary: binary, arguments: ["--version"], runs: runs)))
        if let database {
            print(
                "startup: check --database: "
                    + (try Self.measure(binary: binary, arguments: ["check", "--database", database], runs: runs)))
        }
    }

    /// Runs `binary arguments` `runs` times: the medians of CPU and context switches (`wait4`), and of the peak
    /// RSS measured by GNU time (`/usr/bin/time -f %M`) in as many more runs: a program this short ends before
    /// its `VmHWM` can be sampled, and `wait4`'s own figure holds this benchmark's size (see `ChildUsage`).
    static func measure(binary: String, arguments: [String], runs: Int) throws -> String {
        var usages: [ChildUsage] = []
        var peaks: [Int] = []
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("livewatch-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let time = "/usr/bin/time"
        let hasTime = FileManager.default.isExecutableFile(atPath: time)
        for _ in 0..<max(1, runs) {
            let process = try SpawnedProcess(
                path: binary, arguments: arguments, environment: benchChildEnvironment(), output: folder + "/out")
            let usage = process.wait()
            guard usage.status & 0x7F == 0 else { throw BenchError("\(binary) \(arguments) ended by a signal") }
            usages.append(usage)
            guard hasTime else { continue }
            let timed = try SpawnedProcess(
                path: time, arguments: ["-f", "%M", "-o", folder + "/peak", binary] + arguments,
                environment: benchChildEnvironment(), output: folder + "/out")
            _ = timed.wait()
            let text = try String(contentsOfFile: folder + "/peak", encoding: .utf8)
            guard let kilobytes = text.split(separator: "\n").last.flatMap({ Int($0) }) else {
                throw BenchError("\(time) wrote no peak RSS: \(text)")
            }
            peaks.append(kilobytes * 1_024)
        }
        let rss = hasTime ? String(format: "%.1f MB", Double(median(peaks)) / 1e6) : "n/a (no \(time))"
        return String(
            format: "peak RSS %@, CPU %.1f ms, %d context switches", rss, median(usages.map(\.cpu)) * 1_000,
            median(usages.map(\.contextSwitches)))
    }
}
