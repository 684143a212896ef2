import Foundation
import SQLite
import Testing
@testable import LiveWatch

@Suite struct AlertBookTests {
    let key = AlertKey(rule: .mrConcurrencyExhausted, monitor: "p", subject: "p")

    func firing(_ severity: Severity, _ value: Double = 0) -> AlertCondition {
        .firing(severity: severity, message: "m", value: value, threshold: 0)
    }

    func withDatabase(_ body: (Database) throws -> Void) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try Database(path: folder.file("a.db"))
        try Schema.migrator.migrate(database)
        try body(database)
    }

    @Test func firesEscalatesRepeatsAndResolvesOnce() throws {
        try withDatabase { database in
            let book = AlertBook(repeatInterval: 3_600)
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            func apply(_ condition: AlertCondition, after seconds: Double) throws -> [AlertLine] {
                try database.write { try book.apply([(key, condition)], now: start.addingTimeInterval(seconds), in: database) }
            }
            let fired = try apply(firing(.warning, 2), after: 0)
            #expect(fired.map(\.state) == [.firing])
            #expect(fired.first?.severity == .warning)
            #expect(try apply(firing(.warning, 1), after: 60).isEmpty)
            let escalated = try apply(firing(.critical), after: 120)
            #expect(escalated.map(\.severity) == [.critical])
            #expect(try apply(.unknown, after: 180).isEmpty)
            #expect(try apply(firing(.critical), after: 3_000).isEmpty)
            let repeated = try apply(firing(.critical), after: 120 + 3_600)
            #expect(repeated.map(\.state) == [.firing])
            let resolved = try apply(.clear(message: "ok again", value: 4), after: 4_000)
            #expect(resolved.map(\.state) == [.resolved])
            #expect(resolved.first?.severity == .critical)
            #expect(resolved.first?.message.contains("fired for 1h6m40s") == true)
            #expect(try apply(.clear(message: "ok", value: 4), after: 4_100).isEmpty)
            let rows = try database.query("SELECT state, started_at, resolved_at, last_value FROM alerts")
            #expect(rows.count == 1)
            #expect(rows[0].string("state") == "resolved")
            #expect(rows[0].int64("resolved_at") == 1_800_004_000)
            #expect(rows[0].double("last_value") == 4)
        }
    }

    @Test func aNewFiringAfterResolutionIsANewEpisode() throws {
        try withDatabase { database in
            let book = AlertBook(repeatInterval: 3_600)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            try database.write {
                _ = try book.apply([(key, firing(.critical))], now: now, in: database)
                _ = try book.apply([(key, .clear(message: "ok", value: 3))], now: now + 10, in: database)
                _ = try book.apply([(key, firing(.warning))], now: now + 20, in: database)
            }
            #expect(try database.scalarInt64("SELECT count(*) FROM alerts") == 2)
            #expect(try database.scalarInt64("SELECT count(*) FROM alerts WHERE state = 'firing'") == 1)
        }
    }

    @Test func theLineIsTheDocumentedJSON() {
        let line = AlertLine(
            time: Date(timeIntervalSince1970: 1_795_311_000), state: .firing, severity: .critical,
            rule: .mrConcurrencyExhausted, monitor: "polyv-main", subject: "polyv-main",
            message: "Polyv MR concurrency exhausted: 0 of 5 left", value: 0, threshold: 0)
        #expect(line.json == """
            {"time":"2026-11-22T01:30:00Z","state":"firing","severity":"critical","rule":"mr_concurrency_exhausted",\
            "monitor":"polyv-main","subject":"polyv-main","message":"Polyv MR concurrency exhausted: 0 of 5 left",\
            "value":0,"threshold":0}
            """)
    }

    @Test func quotesControlCharactersAndQuotes() {
        let line = AlertLine(
            time: Date(timeIntervalSince1970: 0), state: .notice, severity: .info, rule: .viewingRestrictionChanged,
            monitor: "m", subject: "s", message: "a \"b\"\n\\c\u{1}")
        #expect(line.json.contains(#""message":"a \"b\"\n\\c\u0001""#))
        #expect(!line.json.contains("value"))
    }
}

@Suite struct AlertLogTests {
    @Test func appendsWholeLinesAndFollowsARenameRotation() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("logs/alerts.log")
        let log = AlertLog(path: path)
        try log.append("{\"n\":1}")
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try log.append("{\"n\":2}")
        #expect(try String(contentsOfFile: path + ".1", encoding: .utf8) == "{\"n\":1}\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"n\":2}\n")
    }

    @Test func keepsWritingAtTheEndAfterCopyTruncate() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("alerts.log")
        let log = AlertLog(path: path)
        try log.append("first line that is fairly long")
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.close()
        try log.append("second")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second\n")
    }

    @Test func reportsAnUnwritablePath() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Data().write(to: URL(fileURLWithPath: folder.file("file")))
        let log = AlertLog(path: folder.file("file/alerts.log"))
        #expect(throws: AlertLogError.self) { try log.append("x") }
    }
}
