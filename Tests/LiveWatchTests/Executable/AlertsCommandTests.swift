import Foundation
import Testing

@testable import LiveWatch

/// `livewatch alerts`, run as the built binary over a database holding hostile vendor text.
@Suite struct AlertsCommandTests {
    @Test func alertsShowsHostileVendorTextEscapedAndItsJSONKeepsItExactly() async throws {
        let setup = try CommandSetup()
        defer { setup.folder.remove() }
        let subject = DisplayTextTests.hostile
        let message = "room \(DisplayTextTests.hostile) \(DisplayTextTests.formula) \u{2066}isolated\u{2069}"
        let store = try Store(path: setup.databasePath)
        let key = AlertKey(rule: .platformUnauthorized, monitor: "polyv-main", subject: subject)
        try store.writeSynchronously { database in
            _ = try AlertBook(repeatInterval: 3_600).apply(
                [(key, .firing(severity: .critical, message: message, value: nil, threshold: nil))], now: Date(),
                store: SQLiteAlertStateStore(database: database))
        }
        store.close()

        let table = try await runLivewatch(["alerts", "--config", setup.configPath])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(DisplayTextTests.unsafe(table.stdout, allowing: ["\n"]).isEmpty, "\(table.stdout)")
        #expect(table.stdout.split(separator: "\n").count == 2, "a header and one line for the alert:\n\(table.stdout)")
        #expect(table.stdout.contains(DisplayTextTests.hostileShown))
        #expect(table.stdout.contains("\\u{2066}isolated\\u{2069}"))

        let json = try await runLivewatch(["alerts", "--config", setup.configPath, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(DisplayTextTests.unsafe(json.stdout, allowing: ["\n"]).isEmpty, "\(json.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let firing = try #require((object["firing"] as? [[String: Any]])?.first)
        #expect(firing["subject"] as? String == subject)
        #expect(firing["message"] as? String == message)
    }
}
