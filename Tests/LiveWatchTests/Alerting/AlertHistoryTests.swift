import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// What `livewatch alerts` reads and prints, from a real database.
@Suite struct AlertHistoryTests {
    @Test func showsFiringPendingHistoryAndNotifierCounters() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("livewatch.db")
        let store = try Store(path: path)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let book = AlertBook(repeatInterval: 3_600, rules: [.platformUnauthorized: AlertRuleSettings(pendingFor: 600)])
        let concurrency = AlertKey(rule: .mrConcurrencyExhausted, monitor: "polyv-main", subject: "polyv-main")
        let failing = AlertKey(rule: .monitorFailing, monitor: "polyv-main", subject: "polyv-main")
        let platform = AlertKey(rule: .platformUnauthorized, monitor: "metastudio-cn4", subject: "p-1")
        let notifier = NotifierConfiguration(name: "ops", kind: .webhook, url: Secret("http://127.0.0.1:9/x"))
        try store.writeSynchronously { database in
            let alerts = SQLiteAlertStateStore(database: database)
            let old = try book.apply(
                [(failing, .firing(severity: .warning, message: "3 polls failed", value: 3, threshold: 3))],
                now: start - 90_000, store: alerts)
            try PollRecorder.enqueue(old, at: start - 90_000, policy: AlertPolicy(notifiers: [notifier]), in: database)
            _ = try book.apply(
                [(failing, .clear(message: "polls succeed again", value: 0))], now: start - 86_000, store: alerts)
            _ = try book.apply(
                [(failing, .firing(severity: .warning, message: "3 polls failed", value: 3, threshold: 3))],
                now: start - 7_200, store: alerts)
            _ = try book.apply(
                [(failing, .clear(message: "polls succeed again", value: 0))], now: start - 3_600, store: alerts)
            _ = try book.apply(
                [(concurrency, .firing(severity: .critical, message: "0 of 5 left", value: 0, threshold: 0))],
                now: start - 600, store: alerts)
            _ = try book.apply(
                [(platform, .firing(severity: .critical, message: "not authorized", value: nil, threshold: nil))],
                now: start - 60, store: alerts)
            try database.run(
                "INSERT INTO notifier_stats (notifier, delivered, failed_attempts, given_up, last_error) VALUES ('ops', 7, 2, 1, 'HTTP 503')"
            )
        }
        store.close()
        let silence = Silence(name: "s", monitors: ["polyv-main"], window: .between(start: nil, end: start + 60))

        let now = try AlertHistory.load(
            databasePath: path, since: nil, monitors: [], silences: [silence], notifierNames: ["ops"], now: start)
        #expect(
            now.firing.map { "\($0.state) \($0.rule) \($0.silenced)" } == [
                "firing mr_concurrency_exhausted true", "pending platform_unauthorized false",
            ])
        #expect(now.history == nil)
        #expect(
            now.notifiers == [
                AlertHistory.NotifierStatus(
                    name: "ops", queued: 1, delivered: 7, failedAttempts: 2, givenUp: 1, lastError: "HTTP 503")
            ])
        let table = now.table
        #expect(table.contains("firing (silenced by s)  critical  mr_concurrency_exhausted  polyv-main"))
        #expect(table.contains("10m"))
        #expect(table.contains("ops       1       7          2                1         0        HTTP 503"))

        let day = try AlertHistory.load(
            databasePath: path, since: 86_400, monitors: ["polyv-main"], silences: [], notifierNames: [], now: start)
        #expect(
            day.history?.map { "\($0.rule) \($0.state)" } == [
                "monitor_failing resolved", "monitor_failing resolved", "mr_concurrency_exhausted firing",
            ])
        #expect(day.firing.count == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(day.json.utf8)) as? [String: Any])
        #expect((json["history"] as? [[String: Any]])?.first?["resolved_at"] as? String == "2027-01-14T08:06:40Z")
        #expect((json["firing"] as? [[String: Any]])?.first?["silenced"] as? Bool == false)
        #expect((json["notifiers"] as? [[String: Any]])?.first?["given_up"] as? Int == 1)

        #expect(throws: AlertHistoryError.self) {
            try AlertHistory.load(
                databasePath: folder.file("none.db"), since: nil, monitors: [], silences: [], notifierNames: [],
                now: start)
        }
    }
}
