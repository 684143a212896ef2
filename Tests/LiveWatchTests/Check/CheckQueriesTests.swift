import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// `CheckQueries` on a real SQLite file written by the daemon's writer.
@Suite struct CheckQueriesTests {
    static func report(_ monitor: String, _ vendor: String, at seconds: Double, ok: Bool = true) -> PollReport {
        let finished = Date(timeIntervalSince1970: seconds)
        return PollReport(
            monitor: monitor, vendor: vendor, startedAt: finished.addingTimeInterval(-1), finishedAt: finished,
            requests: 1, httpStatus: ok ? 200 : 500, requestID: nil,
            outcome: ok
                ? .observed(
                    .mrConcurrency(
                        MRConcurrency(total: 9, used: Int(seconds) % 9, residual: 9 - Int(seconds) % 9, channelIDs: []))
                )
                : .failed(PollFailure(kind: .http, code: "http_500", message: "down")))
    }

    @Test func theMonitorsLastSuccessesConcurrencyAndFiringAlertsAreRead() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("livewatch.db")
        let store = try Store(path: path)
        try store.writeSynchronously { database in
            for (monitor, vendor, at, ok) in [
                ("polyv-b", "polyv", 1_000.0, true), ("polyv-b", "polyv", 1_060, true),
                ("polyv-b", "polyv", 1_120, false),
                ("a-renamed", "tencent_chat", 500, true), ("a-renamed", "metastudio", 900, false),
                ("z-failing", "volcengine", 700, false),
            ] {
                let report = Self.report(monitor, vendor, at: at, ok: ok)
                try ObservationWriter.insertPoll(report, in: database)
                if case .observed(let observation) = report.outcome {
                    try ObservationWriter.insertObservation(
                        observation, monitor: monitor, at: report.finishedAt, in: database)
                }
                // Only polyv-b's polls go through monitor_state; the others are found in polls.
                if monitor == "polyv-b" { _ = try ObservationWriter.updateMonitorState(report, in: database) }
            }
            let book = AlertBook(repeatInterval: 3_600)
            let states = SQLiteAlertStateStore(database: database)
            _ = try book.apply(
                [
                    (
                        AlertKey(rule: .mrConcurrencyExhausted, monitor: "polyv-b", subject: "polyv-b"),
                        .firing(severity: .critical, message: "late", value: 0, threshold: 0)
                    )
                ], now: Date(timeIntervalSince1970: 2_000), store: states)
            _ = try book.apply(
                [
                    (
                        AlertKey(rule: .monitorFailing, monitor: "z-failing", subject: "z-failing"),
                        .firing(severity: .warning, message: "early", value: 3, threshold: 3)
                    )
                ], now: Date(timeIntervalSince1970: 1_500), store: states)
        }
        store.close()

        let snapshot = try CheckQueries.read(databasePath: path, listMonitors: true, monitors: nil)
        let listed = try #require(snapshot.monitors)
        #expect(listed.map(\.name) == ["a-renamed", "polyv-b", "z-failing"])
        #expect(listed.map(\.vendor) == ["metastudio", "polyv", "volcengine"], "the vendor of the latest poll")
        #expect(
            snapshot.facts.lastSuccess == [
                "polyv-b": Date(timeIntervalSince1970: 1_060), "a-renamed": Date(timeIntervalSince1970: 500),
            ])
        #expect(snapshot.facts.concurrency == ["polyv-b": CheckConcurrency(total: 9, used: 7, residual: 2)])
        #expect(snapshot.facts.firing.map(\.message) == ["early", "late"])
        #expect(snapshot.facts.firing.map(\.severity) == ["warning", "critical"])

        // Asked for by name: nothing is listed, an unknown name simply has no facts.
        let named = try CheckQueries.read(
            databasePath: path, listMonitors: false,
            monitors: [(name: "polyv-b", vendor: "polyv"), (name: "nobody", vendor: "polyv")])
        #expect(named.monitors == nil)
        #expect(named.facts.lastSuccess.keys.sorted() == ["polyv-b"])
        #expect(named.facts.concurrency.keys.sorted() == ["polyv-b"])
    }

    @Test func theDatabaseIsOpenedReadOnlyAndNeverCreatedOrChanged() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let missing = folder.file("missing.db")
        #expect(throws: CheckQueries.Failure.self) {
            try CheckQueries.read(databasePath: missing, listMonitors: true, monitors: nil)
        }
        #expect(!FileManager.default.fileExists(atPath: missing))

        // A file that is not yet a livewatch database stays as it is (no migration): an error, not a schema.
        let empty = folder.file("empty.db")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        do {
            _ = try CheckQueries.read(databasePath: empty, listMonitors: true, monitors: nil)
            Issue.record("an empty file was read as a database")
        } catch {
            #expect(error.message.contains("no such table: polls"), "\(error.message)")
        }
        #expect(Maintenance.fileSize(empty) == 0)
        #expect(!FileManager.default.fileExists(atPath: empty + "-wal"))
    }
}
