import Foundation
import SQLite
import Testing
@testable import LiveWatch
import VendorSimulator

/// The built `livewatch` executable next to the test bundle.
func livewatchExecutable() -> String? {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [directory, directory.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("livewatch").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

@Suite struct CrashSafetyTests {
    @Test func killingTheDaemonAtRandomMomentsNeverCorruptsOrHalfWritesASnapshot() async throws {
        let executable = try #require(livewatchExecutable(), "build the livewatch executable first (swift build)")
        let simulator = VendorSimulator()
        try await simulator.start()
        simulator.polyv.addApplication(appID: "crash-app", secret: "crash-secret-value", total: 150, used: 120)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let config = folder.file("livewatch.yaml")
        try Data("""
            daemon:
              database: \(folder.file("crash.db"))
              alert_log: \(folder.file("alerts.log"))
            defaults:
              interval: 1s
              jitter: 0%
            polyv:
              - name: crash
                app_id: crash-app
                app_secret: { env: CRASH_SECRET }
                endpoint: \(simulator.baseURL)
            """.utf8).write(to: URL(fileURLWithPath: config))
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20 {
            simulator.polyv.setUsed(appID: "crash-app", used: 100 + round)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["run", "--config", config, "--log-level", "error"]
            process.environment = ["CRASH_SECRET": "crash-secret-value"]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(nanoseconds: UInt64.random(in: 200_000_000...1_500_000_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)

            let database = try Database(path: folder.file("crash.db"), options: .init(readOnly: true))
            #expect(try database.query("PRAGMA integrity_check").first?.string("integrity_check") == "ok", "round \(round)")
            // Every stored sample is whole: its channels are all there and its poll row says ok.
            let partial = try database.query(
                """
                SELECT c.observed_at FROM mr_concurrency c
                WHERE (SELECT count(*) FROM mr_channels h WHERE h.monitor = c.monitor AND h.observed_at = c.observed_at)
                      <> min(c.used, 100) * (SELECT count(*) FROM mr_concurrency d WHERE d.monitor = c.monitor AND d.observed_at = c.observed_at)
                   OR NOT EXISTS (SELECT 1 FROM polls p WHERE p.monitor = c.monitor AND p.ok = 1 AND p.finished_at = c.observed_at)
                """)
            #expect(partial.isEmpty, "round \(round): partial snapshots at \(partial.map { $0[0] })")
        }
        let database = try Database(path: folder.file("crash.db"), options: .init(readOnly: true))
        #expect(try database.scalarInt("SELECT count(*) FROM mr_concurrency") ?? 0 > 0)
        await simulator.shutdown()
    }
}
