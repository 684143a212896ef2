import Foundation
import Testing

@testable import LiveWatch

/// The alert book without SQLite: over `MemoryAlertStateStore`, the scenarios the SQLite-backed
/// suites (`AlertBookStorageTests`, `AlertLifecycleTests`) run on a real file, with the same assertions.
@Suite struct AlertBookTests: AlertBookSuite {
    @Test func firesEscalatesRepeatsAndResolvesOnce() throws {
        let store = MemoryAlertStateStore()
        try expectFiresEscalatesRepeatsAndResolvesOnce(steps(AlertBook(repeatInterval: 3_600), over: store))
        #expect(store.episodes.count == 1)
        #expect(store.episodes.first?.firing == false)
        #expect(store.episodes.first?.resolvedAt == 1_800_004_000)
        #expect(store.episodes.first?.lastValue == 4)
    }

    @Test func aNewFiringAfterResolutionIsANewEpisode() throws {
        let store = MemoryAlertStateStore()
        let book = AlertBook(repeatInterval: 3_600)
        _ = try book.apply([(key, firing(.critical))], now: start, store: store)
        _ = try book.apply([(key, .clear(message: "ok", value: 3))], now: start + 10, store: store)
        _ = try book.apply([(key, firing(.warning))], now: start + 20, store: store)
        #expect(store.episodes.count == 2)
        #expect(store.firing.count == 1)
    }

    /// One batch naming the same alert twice: the second condition sees what the first did.
    @Test func conditionsOfOneBatchApplyInOrder() throws {
        let store = MemoryAlertStateStore()
        let book = AlertBook(repeatInterval: 3_600)
        let lines = try book.apply(
            [
                (key, firing(.warning)), (key, firing(.critical)), (key, .clear(message: "ok", value: 3)),
                (key, firing(.warning)),
            ],
            now: start, store: store)
        #expect(
            lines.map { "\($0.state.rawValue)/\($0.severity.rawValue)" } == [
                "firing/warning", "firing/critical", "resolved/critical", "firing/warning",
            ])
        #expect(store.episodes.count == 2)
    }

    @Test func aRuleWithForIsPendingUntilItHasHeldThatLong() throws {
        let store = MemoryAlertStateStore()
        let book = AlertBook(
            repeatInterval: 3_600, rules: [.mrConcurrencyExhausted: AlertRuleSettings(pendingFor: 120)])
        let apply = steps(book, over: store)
        #expect(try apply(firing(.warning), after: 0).isEmpty)
        #expect(store.pending.count == 1)
        #expect(try apply(.unknown, after: 60).isEmpty)
        #expect(try apply(firing(), after: 90).isEmpty)
        #expect(store.pending[key]?.severity == .critical)
        let fired = try apply(firing(), after: 120)
        #expect(fired.map(\.state) == [.firing])
        #expect(fired.first?.severity == .critical)
        #expect(store.episodes.first?.startedAt == 1_800_000_120)
        #expect(store.pending.isEmpty)

        // A condition that clears while pending starts over.
        _ = try apply(.clear(message: "ok", value: 3), after: 200)
        #expect(try apply(firing(), after: 300).isEmpty)
        #expect(try apply(.clear(message: "ok", value: 3), after: 360).isEmpty)
        #expect(store.pending.isEmpty)
        #expect(try apply(firing(), after: 400).isEmpty)
        #expect(try apply(firing(), after: 519).isEmpty)
        #expect(try apply(firing(), after: 520).map(\.state) == [.firing])
    }

    @Test func keepFiringForResolvesOnlyAfterTheConditionStayedClear() throws {
        let store = MemoryAlertStateStore()
        let book = AlertBook(
            repeatInterval: 3_600, rules: [.mrConcurrencyExhausted: AlertRuleSettings(keepFiringFor: 300)])
        let apply = steps(book, over: store)
        #expect(try apply(firing(), after: 0).map(\.state) == [.firing])
        #expect(try apply(.clear(message: "ok", value: 3), after: 60).isEmpty)
        #expect(store.firing.first?.clearSince == 1_800_000_060)
        // It flaps back: still the same episode, no new line, and the clear clock restarts.
        #expect(try apply(firing(), after: 120).isEmpty)
        #expect(store.firing.first?.clearSince == nil)
        #expect(try apply(.clear(message: "ok", value: 3), after: 180).isEmpty)
        #expect(try apply(.clear(message: "ok", value: 3), after: 479).isEmpty)
        let resolved = try apply(.clear(message: "ok", value: 4), after: 480)
        #expect(resolved.map(\.state) == [.resolved])
        #expect(resolved.first?.message == "ok (fired for 8m)")
        #expect(store.episodes.count == 1)
    }

    @Test func concurrencyFiresAtZeroAndResolvesOnlyAboveResidualWarning() throws {
        let store = MemoryAlertStateStore()
        try expectConcurrencyResolvesOnlyAboveResidualWarning(steps(AlertBook(repeatInterval: 86_400), over: store))
        #expect(store.episodes.count == 2)
    }

    @Test func aPendingAlertWhoseSubjectWentAwayIsDroppedOnTheNextSuccessfulPoll() throws {
        let store = MemoryAlertStateStore()
        let book = AlertBook(repeatInterval: 3_600, rules: [.platformUnauthorized: AlertRuleSettings(pendingFor: 600)])
        let gone = AlertKey(rule: .platformUnauthorized, monitor: "m", subject: "platform-1")
        let stays = AlertKey(rule: .platformUnauthorized, monitor: "m", subject: "platform-2")
        let elsewhere = AlertKey(rule: .platformUnauthorized, monitor: "other", subject: "platform-1")
        _ = try book.apply(
            [(gone, firing()), (stays, firing()), (elsewhere, firing())], now: start, store: store,
            pruningPendingOf: "m")
        // A failed poll (no monitor given) keeps both.
        _ = try book.apply([], now: start + 60, store: store)
        #expect(store.pending.count == 3)
        _ = try book.apply([(stays, firing())], now: start + 120, store: store, pruningPendingOf: "m")
        #expect(Set(store.pending.keys) == [stays, elsewhere], "only the monitor polled loses its pending alerts")
        #expect(store.pending[stays]?.since == 1_800_000_000)
    }

    /// The book never reads the state of an alert whose condition is unknown, and writes nothing for it.
    @Test func unknownConditionsTouchNothing() throws {
        let store = MemoryAlertStateStore()
        let book = AlertBook(repeatInterval: 3_600)
        #expect(try book.apply([(key, .unknown)], now: start, store: store).isEmpty)
        #expect(store.changes.isEmpty)
    }

    @Test func theLineIsTheDocumentedJSON() {
        let line = AlertLine(
            time: Date(timeIntervalSince1970: 1_795_311_000), state: .firing, severity: .critical,
            rule: .mrConcurrencyExhausted, monitor: "polyv-main", subject: "polyv-main",
            message: "Polyv MR concurrency exhausted: 0 of 5 left", value: 0, threshold: 0)
        #expect(
            line.json == """
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
