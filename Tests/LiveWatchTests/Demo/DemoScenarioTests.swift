import Foundation
import LiveWatchDemo
import Logging
import Synchronization
import Testing

/// `livewatch demo`'s story, run whole (60 s: when the whole suite starts at once on two cores, the daemon
/// may take seconds to start, and the forecast must still see 5 polls of the 19 s rise before the
/// exhaustion): every vendor's part shows alerts firing and
/// resolving, and the closing lines point at the database it wrote.
@Suite struct DemoScenarioTests {
    @Test func theStoryFiresAndResolvesAlertsOfEveryVendor() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let lines = Mutex<[String]>([])
        let quiet = Logger(label: "demo-test") { _ in SwiftLogNoOpLogHandler() }
        try await DemoScenario(seconds: 60, directory: folder.path, logger: quiet).run { line in
            lines.withLock { $0.append(line) }
        }
        let text = lines.withLock { $0.joined(separator: "\n") }
        for expected in [
            "\"state\":\"firing\",\"severity\":\"critical\",\"rule\":\"mr_concurrency_exhausted\"",
            "\"state\":\"resolved\",\"severity\":\"critical\",\"rule\":\"mr_concurrency_exhausted\"",
            "\"rule\":\"monitor_failing\",\"monitor\":\"polyv-demo\"",
            "\"rule\":\"live_client_link_changed\"", "\"rule\":\"platform_unauthorized\"",
            "sqlite3 \(folder.path)/livewatch.db",
        ] {
            #expect(text.contains(expected), "the demo did not show \(expected)")
        }
        #expect(FileManager.default.fileExists(atPath: folder.file("livewatch.db")))
        // The forecast warns before the exhaustion fires, and gives way to it.
        let forecast = text.range(
            of: "\"state\":\"firing\",\"severity\":\"warning\",\"rule\":\"mr_concurrency_forecast\"")
        let exhausted = text.range(
            of: "\"state\":\"firing\",\"severity\":\"warning\",\"rule\":\"mr_concurrency_exhausted\"")
        #expect(forecast != nil, "the demo did not show the forecast")
        if let forecast, let exhausted {
            #expect(forecast.lowerBound < exhausted.lowerBound, "the forecast came after the exhaustion")
        }
        #expect(text.contains("Polyv MR concurrency forecast superseded: mr_concurrency_exhausted fires"))
    }
}
