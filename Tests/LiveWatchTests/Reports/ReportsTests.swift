import Foundation
import SQLite
import Testing

@testable import LiveWatch

@Suite struct ReportsTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func withSeededReader(_ body: (Database) throws -> Void) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("h.db"))
        try HistorySeed.seed(store, now: now)
        // Reports read through a read-only connection while the writer stays open.
        let reader = try Database(path: folder.file("h.db"), options: .init(readOnly: true))
        try body(reader)
        store.close()
    }

    func run(_ name: ReportName, _ database: Database, since: Double = 7 * 86_400, byHour: Bool = false) throws
        -> [[String: SQLiteValue]]
    {
        let table = try Reports.run(ReportRequest(name: name, since: since, byHour: byHour, now: now), on: database)
        return table.rows.map { Dictionary(uniqueKeysWithValues: zip(table.columns, $0)) }
    }

    @Test func concurrencyShowsPeaksPerDay() throws {
        try withSeededReader { database in
            let days = try run(.concurrency, database)
            #expect(days.count >= 2)
            #expect(days.contains { $0["used_max"] == .integer(5) && $0["peak_utilisation_pct"] == .real(100) })
            let hours = try run(.concurrency, database, since: 86_400, byHour: true)
            #expect(hours.count == 24 || hours.count == 25)
        }
    }

    @Test func roomsRankGrowthAndLiveRoomsOverTime() throws {
        try withSeededReader { database in
            let rooms = try run(.rooms, database, since: 5_400)
            // Growth is measured from the last sample before the window (room-4: 400+4*10 -> 400+4*30).
            #expect(rooms.first?["room_id"] == .text("room-4"))
            #expect(rooms.first?["growth"] == .integer(80))
            #expect(rooms.first?["views_start"] == .integer(440))
            let live = try run(.roomsLive, database, byHour: true)
            #expect(live.allSatisfy { $0["live_rooms_max"] == .integer(3) })
        }
    }

    /// Rooms that come, go and return around the window's start, on two monitors sharing a room id.
    @Test func roomGrowthStartsAtTheBaselineCrawlOrTheRoomsFirstCrawlInTheWindow() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("rooms.db"))
        defer { store.close() }
        func crawl(_ monitor: String, hoursAgo: Double, _ views: [String: Int64]) throws {
            let rooms = views.sorted { $0.key < $1.key }.map {
                LiveRoom(roomID: $0.key, activityStatus: 1, viewCount: $0.value)
            }
            try store.writeSynchronously { database in
                try ObservationWriter.insertLiveRooms(
                    LiveRoomList(rooms: rooms, pages: 1), monitor: monitor,
                    at: now.addingTimeInterval(-hoursAgo * 3_600), in: database)
            }
        }
        // The window is the last 3 hours: the crawl 4 hours ago is the baseline.
        try crawl("tim-a", hoursAgo: 5, ["D": 1, "E": 7])
        try crawl("tim-a", hoursAgo: 4, ["A": 100, "B": 50]) // D is absent from the baseline crawl
        try crawl("tim-a", hoursAgo: 2, ["A": 150, "B": 60, "C": 10, "D": 5])
        try crawl("tim-a", hoursAgo: 1, ["A": 170, "C": 40, "D": 25]) // B has gone; E was never seen in the window
        try crawl("tim-b", hoursAgo: 4, ["A": 1_000])
        try crawl("tim-b", hoursAgo: 1, ["A": 1_005])
        let reader = try Database(path: folder.file("rooms.db"), options: .init(readOnly: true))
        let all = try Reports.run(ReportRequest(name: .rooms, since: 3 * 3_600, now: now), on: reader)
        let rows = all.rows.map { Dictionary(uniqueKeysWithValues: zip(all.columns, $0)) }
        func describe(_ value: SQLiteValue?) -> String {
            switch value {
            case .text(let text): return text
            case .integer(let number): return String(number)
            default: return "?"
            }
        }
        let growth = rows.map { "\(describe($0["monitor"]))/\(describe($0["room_id"]))=\(describe($0["growth"]))" }
        // A from its baseline 100; C new in the window from its first 10; D (absent from the baseline crawl)
        // from its last sample before the window, 1; B to its last value in the window; E not at all.
        #expect(growth == ["tim-a/A=70", "tim-a/C=30", "tim-a/D=24", "tim-a/B=10", "tim-b/A=5"])
        let only = try Reports.run(
            ReportRequest(name: .rooms, since: 3 * 3_600, monitor: "tim-b", now: now), on: reader)
        #expect(only.rows.map { $0[1] } == [.text("A")])
        #expect(only.rows.first?[4] == .integer(1_000))
    }

    @Test func authorizationsSortByDaysToExpiry() throws {
        try withSeededReader { database in
            let rows = try run(.authorizations, database)
            #expect(rows.map { $0["platform_id"] } == [.text("p-1"), .text("p-0"), .text("p-2")])
            #expect(rows.first?["days_to_expiry"] == .real(0.5))
        }
    }

    @Test func alertsAndPollsSummarise() throws {
        try withSeededReader { database in
            let alerts = try run(.alerts, database)
            #expect(
                alerts.first { $0["rule"] == .text("mr_concurrency_exhausted") }?["seconds_firing"] == .integer(1_800))
            #expect(
                alerts.first { $0["rule"] == .text("platform_authorization_expiring") }?["firing_now"] == .integer(1))
            let polls = try run(.polls, database)
            #expect(polls.first?["polls"] == .integer(20))
            #expect(polls.first?["success_pct"] == .real(90))
            #expect(polls.first?["max_ms"] == .integer(29))
            // Durations 10...29: the nearest-rank p95 of 20 values is the 19th, ceil(0.95 * 20).
            #expect(polls.first?["p95_ms"] == .integer(28))
            #expect(polls.first?["avg_ms"] == .real(19.5))
        }
    }

    @Test func formatsAsTableJSONAndCSV() {
        let table = ReportTable(
            title: "T", columns: ["name", "value"],
            rows: [[.text("a,\"b\""), .integer(1)], [.null, .real(2.5)]])
        #expect(ReportFormat.csv.render(table) == "name,value\r\n\"a,\"\"b\"\"\",1\r\n,2.5\r\n")
        #expect(
            ReportFormat.json.render(table)
                == "[{\"name\":\"a,\\\"b\\\"\",\"value\":1},\n {\"name\":null,\"value\":2.5}]\n")
        #expect(ReportFormat.table.render(table).split(separator: "\n").count == 5)
    }
}

@Suite struct SchemaDocumentationTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/schema.md")

    static func examples() throws -> [String] {
        let text = try String(contentsOf: document, encoding: .utf8)
        return text.components(separatedBy: "```sql\n").dropFirst().compactMap {
            $0.components(separatedBy: "\n```").first
        }
    }

    @Test func everyExampleQueryRunsOnASeededDatabase() throws {
        let examples = try Self.examples()
        #expect(examples.count >= 10)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try Store(path: folder.file("docs.db"))
        try HistorySeed.seed(store, now: Date())
        store.close()
        let database = try Database(path: folder.file("docs.db"), options: .init(readOnly: true))
        var returningRows = 0
        for example in examples {
            let rows = try database.prepare(example).query()
            if !rows.isEmpty { returningRows += 1 }
        }
        // The seed covers every relation: all but a handful of examples return rows.
        #expect(
            returningRows >= examples.count - 2, "only \(returningRows) of \(examples.count) examples returned rows")
    }

    @Test func everyReportingRelationIsDocumented() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        for relation in [
            "polls", "mr_concurrency", "mr_channels", "live_rooms", "live_room_samples", "platform_authorizations",
            "viewing_restrictions", "live_client_links", "alerts", "mr_concurrency_hourly", "mr_concurrency_daily",
            "room_activity_hourly", "room_activity_daily",
        ] {
            #expect(text.contains("`\(relation)`"), "\(relation) is not documented")
        }
    }
}
