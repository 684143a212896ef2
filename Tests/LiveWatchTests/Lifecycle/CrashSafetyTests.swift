import Foundation
import SQLite
import Testing
import VendorSimulator

@testable import LiveWatch

@Suite struct CrashSafetyTests {
    @Test func killingTheDaemonAtRandomMomentsNeverCorruptsOrHalfWritesASnapshot() async throws {
        let simulator = VendorSimulator()
        try await simulator.start()
        simulator.polyv.addApplication(appID: "crash-app", secret: "crash-secret-value", total: 150, used: 120)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await killRepeatedly(
            in: folder, database: "crash.db",
            monitors: """
                polyv:
                  - name: crash
                    app_id: crash-app
                    app_secret: { env: CRASH_SECRET }
                    endpoint: \(simulator.baseURL)
                """, environment: ["CRASH_SECRET": "crash-secret-value"],
            before: { round in simulator.polyv.setUsed(appID: "crash-app", used: 100 + round) }
        ) { round in
            let database = try Database(path: folder.file("crash.db"), options: .init(readOnly: true))
            #expect(
                try database.query("PRAGMA integrity_check").first?.string("integrity_check") == "ok", "round \(round)")
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
        #expect(try database.scalarInt64("SELECT count(*) FROM mr_concurrency") ?? 0 > 0)
        await simulator.shutdown()
    }

    /// Crawls of 1,000 rooms (50 pages at up to 300 requests a second) every
    /// second; the daemon is killed after 0.3 to 3 seconds, before, during or
    /// between crawls. A crawl is stored whole or not at all: each
    /// `live_room_crawls` row has exactly its 1,000 samples, an ok poll, and is
    /// counted once in the rollups.
    @Test func killingTheDaemonDuringTencentCrawlsNeverLeavesAPartialCrawl() async throws {
        let simulator = VendorSimulator()
        try await simulator.start()
        let rooms = 1_000
        simulator.tencentChat.addApplication(
            sdkAppID: 1_400_000_123, secretKey: "crash-tim-key", administrator: "administrator")
        simulator.tencentChat.setRooms(count: rooms)
        simulator.tencentChat.setRateLimit(1_000)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await killRepeatedly(
            in: folder, database: "crawl.db",
            monitors: """
                tencent_chat:
                  - name: crash-tim
                    sdk_app_id: 1400000123
                    identifier: administrator
                    secret_key: { env: CRASH_TIM_KEY }
                    endpoint: \(simulator.baseURL)
                    rate_limit: 300
                """, environment: ["CRASH_TIM_KEY": "crash-tim-key"],
            lifetime: 300_000_000...3_000_000_000
        ) { round in
            let database = try Database(path: folder.file("crawl.db"), options: .init(readOnly: true))
            #expect(
                try database.query("PRAGMA integrity_check").first?.string("integrity_check") == "ok", "round \(round)")
            let partial = try database.query(
                """
                SELECT c.crawl, c.rooms, (SELECT count(*) FROM live_room_sample_data d WHERE d.crawl = c.crawl) AS stored
                FROM live_room_crawls c
                WHERE c.rooms <> \(rooms) OR stored <> c.rooms
                   OR NOT EXISTS (SELECT 1 FROM polls p WHERE p.monitor = c.monitor AND p.ok = 1 AND p.finished_at = c.observed_at)
                """)
            #expect(partial.isEmpty, "round \(round): partial crawls \(partial.map { ($0[0], $0[1], $0[2]) })")
            let crawls = try database.scalarInt64("SELECT count(*) FROM live_room_crawls") ?? -1
            let rolledUp =
                try database.scalarInt64(
                    "SELECT coalesce(sum(crawls), 0) FROM room_activity_rollups WHERE period = 'hour'") ?? -2
            #expect(rolledUp == crawls, "round \(round): \(crawls) crawls, \(rolledUp) in the hourly rollups")
            let orphans = try database.scalarInt64(
                "SELECT count(*) FROM live_room_sample_data d WHERE NOT EXISTS (SELECT 1 FROM live_room_crawls c WHERE c.crawl = d.crawl)"
            )
            #expect(orphans == 0, "round \(round)")
        }
        let database = try Database(path: folder.file("crawl.db"), options: .init(readOnly: true))
        #expect(
            try database.scalarInt64("SELECT count(*) FROM live_room_crawls") ?? 0 > 0, "no crawl completed in 20 runs")
        #expect(simulator.tencentChat.counters.completedCrawls >= 5, "too few crawls to have been killed around")
        await simulator.shutdown()
    }

    /// Starts `livewatch run` 20 times on a configuration of `monitors` polled every second (its database
    /// `database` in `folder`), kills it with SIGKILL after a random `lifetime` nanoseconds (0.2 to 1.5
    /// seconds), and runs `check` on what it left.
    private func killRepeatedly(
        in folder: TemporaryFolder, database: String, monitors: String, environment: [String: String],
        lifetime: ClosedRange<UInt64> = 200_000_000...1_500_000_000, before: (Int) -> Void = { _ in },
        check: (Int) throws -> Void
    ) async throws {
        let executable = try livewatchExecutable()
        let config = try folder.writeConfiguration(
            database: database,
            """
            defaults:
              interval: 1s
              jitter: 0%
            \(monitors)
            """)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20 {
            before(round)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["run", "--config", config, "--log-level", "error"]
            process.environment = environment
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(nanoseconds: UInt64.random(in: lifetime, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            try check(round)
        }
    }
}
