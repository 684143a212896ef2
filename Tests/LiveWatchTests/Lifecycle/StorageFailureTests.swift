import Foundation
import SQLite
import Testing

@testable import LiveWatch

@Suite struct StorageFailureTests {
    @Test func aFullDiskFailsThePollRaisesAnAlertAndPollingRecovers() async throws {
        try await withFixture({ try await PolyvFixture.start() }) { fixture in
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let store = try Store(path: folder.file("full.db"))
            let log = CapturedLog()
            let recorder = PollRecorder(
                store: store, alertLog: AlertLog(path: folder.file("alerts.log")), repeatInterval: 3_600,
                failureThreshold: 3,
                logger: log.logger)
            let pipeline = PollPipeline(recorder: recorder, logger: log.logger)
            let runtime = MonitorRuntime.make(.polyv(fixture.configuration), transport: fixture.transport)
            #expect(await pipeline.run(runtime, deadline: 30).0.succeeded)

            // The disk fills up: SQLite may not grow the file any more.
            try store.accessSynchronously { database in
                let pages = try database.scalarInt64("PRAGMA page_count") ?? 0
                try database.execute("PRAGMA max_page_count = \(pages)")
            }
            var failure: PollFailure?
            for _ in 0..<200 {
                let report = await pipeline.run(runtime, deadline: 30).0
                if let found = report.failure {
                    failure = found
                    break
                }
            }
            #expect(failure?.code == "storage")
            #expect(failure?.message == "cannot store the poll: database or disk is full")
            // A second failure does not repeat the alert.
            _ = await pipeline.run(runtime, deadline: 30)
            var lines = alertLogLines(folder.file("alerts.log"))
            #expect(lines.count == 1)
            #expect(lines.last?["state"] as? String == "firing")
            #expect((lines.last?["message"] as? String)?.contains("database or disk is full") == true)

            // Space returns: polls are stored again and the alert resolves.
            try store.accessSynchronously { try $0.execute("PRAGMA max_page_count = 1000000") }
            #expect(await pipeline.run(runtime, deadline: 30).0.succeeded)
            lines = alertLogLines(folder.file("alerts.log"))
            #expect(lines.last?["state"] as? String == "resolved")
            #expect(log.text.contains("database or disk is full"))
            store.close()
        }
    }
}
