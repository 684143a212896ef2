import ArgumentParser
import Foundation
import LiveWatch
import SQLite

/// `livewatch check`'s latency on a year of history: seeds (in bulk SQL, in seconds rather than the history
/// benchmark's minutes) a year of polls of five monitors ending now, a year of 30-second MR concurrency
/// observations, three alert episodes a day and two alerts firing; then times the check in this process (a
/// fresh read-only connection each run, as the command opens it) and, when the `livewatch` executable is
/// built beside this one, the whole `livewatch check` process.
struct CheckLatency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Seeds a year of history for five monitors; prints livewatch check's latency (goal well under 100 ms)."
    )

    @Option(help: "Days of history.") var days = 365
    @Option(help: "Runs of each measurement (the median and the slowest are printed).") var runs = 31
    @Option(help: "Measure on this database (e.g. one kept by `history --keep`) instead of seeding one.")
    var from: String?

    /// The seeded monitors: name, vendor, seconds between polls.
    static let monitors: [(String, String, Int)] = [
        ("polyv-main", "polyv", 30), ("polyv-backup", "polyv", 60), ("tim-main", "tencent_chat", 60),
        ("ms-main", "metastudio", 60), ("volc-main", "volcengine", 60),
    ]

    func run() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = from ?? folder + "/check.db"
        let end = Int64(Date().timeIntervalSince1970)
        if from == nil {
            let seeding = try measure { try seed(path: path, end: end) }
            print(
                String(
                    format: "seed: %d days of polls of %d monitors, %@ rows in polls, %.1f MB, in %.1f s", days,
                    Self.monitors.count, "\(try rowCount(path))", Double(fileSize(path)) / 1e6, seeding.wall))
        }

        let configuration = HistoryConfiguration(
            database: path,
            monitors: Self.monitors.map { name, vendor, interval in
                HistoryConfiguration.Monitor(
                    name: name, vendor: vendor, interval: Double(interval),
                    residualThresholds: vendor == "polyv" ? .init(warning: 2, critical: 0) : nil)
            })
        for (name, run) in [
            ("--config (five monitors)", CheckRun(source: .configuration(configuration))),
            ("--database (monitors listed from polls)", CheckRun(source: .database(path))),
        ] {
            var line = ""
            let timings = (0..<runs).map { _ in measure { line = run.result().line }.wall * 1_000 }.sorted()
            print(
                String(
                    format: "in process, %@: first %.2f ms, median %.2f ms, slowest %.2f ms", name, timings[0],
                    timings[timings.count / 2], timings[timings.count - 1]))
            print("  " + line)
        }

        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("livewatch").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            print("whole process: no livewatch executable beside \(CommandLine.arguments[0]); skipped")
            return
        }
        var timings: [Double] = []
        var status: Int32 = -1
        for _ in 0..<runs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["check", "--database", path]
            process.standardOutput = FileHandle.nullDevice
            let started = Date()
            try process.run()
            process.waitUntilExit()
            timings.append(Date().timeIntervalSince(started) * 1_000)
            status = process.terminationStatus
        }
        timings.sort()
        print(
            String(
                format: "whole process, livewatch check --database: median %.1f ms, slowest %.1f ms (exit status %d)",
                timings[timings.count / 2], timings[timings.count - 1], status))
    }

    func rowCount(_ path: String) throws -> Int64 {
        try Database(path: path, options: .init(readOnly: true)).scalarInt64("SELECT count(*) FROM polls") ?? 0
    }

    /// The history, written in bulk through a recursive CTE per monitor, as the daemon's schema holds it.
    func seed(path: String, end: Int64) throws {
        let store = try Store(path: path)
        defer { store.close() }
        try store.writeSynchronously { database in
            for (name, vendor, interval) in Self.monitors {
                let count = days * 86_400 / interval
                let start = end - Int64(count * interval)
                // Every 500th poll fails; the last one succeeds.
                try database.execute(
                    """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < \(count))
                    INSERT INTO polls (monitor, vendor, started_at, finished_at, ok, http_status, error_code,
                                       error_message, request_id, requests, items, duration_ms)
                    SELECT '\(name)', '\(vendor)', \(start) + i * \(interval), \(start) + i * \(interval) + 1,
                           CASE WHEN i % 500 = 499 THEN 0 ELSE 1 END, 200, NULL, NULL, NULL, 1, 1, 150 FROM n;
                    INSERT INTO monitor_state (monitor, consecutive_failures, last_poll_at, last_success_at)
                    VALUES ('\(name)', 0, \(end - Int64(interval) + 1), \(end - Int64(interval) + 1));
                    """)
                if vendor == "polyv" {
                    try database.execute(
                        """
                        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < \(count))
                        INSERT INTO mr_concurrency (monitor, observed_at, total, used, residual)
                        SELECT '\(name)', \(start) + i * \(interval) + 1, 200, i % 201, 200 - i % 201 FROM n
                        WHERE i % 500 != 499;
                        """)
                }
            }
            // Three resolved episodes a day, then one critical and one warning alert firing now.
            let episodes = days * 3
            try database.execute(
                """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < \(episodes))
                INSERT INTO alerts (rule, monitor, subject, severity, state, started_at, resolved_at, last_value,
                                    message, threshold, last_written_at)
                SELECT 'mr_concurrency_exhausted', 'polyv-main', 'polyv-main', 'critical', 'resolved',
                       \(end) - (i + 1) * 28800, \(end) - (i + 1) * 28800 + 600, 0,
                       'Polyv MR concurrency exhausted: 0 of 200 left', 0, \(end) - (i + 1) * 28800 + 600 FROM n;
                INSERT INTO alerts (rule, monitor, subject, severity, state, started_at, resolved_at, last_value,
                                    message, threshold, last_written_at)
                VALUES ('mr_concurrency_exhausted', 'polyv-main', 'polyv-main', 'critical', 'firing', \(end) - 120, NULL,
                        0, 'Polyv MR concurrency exhausted: 0 of 200 left', 0, \(end) - 120),
                       ('platform_authorization_expiring', 'ms-main', 'platform-7', 'warning', 'firing', \(end) - 3600,
                        NULL, 5, 'authorization of platform-7 expires in 5d', 7, \(end) - 3600);
                """)
        }
        try store.accessSynchronously { database in try database.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
