import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// The alert book over `SQLiteAlertStateStore` on a real SQLite file: what the `alerts` table holds
/// after each step. (The same steps without SQLite: `AlertBookTests`.)
@Suite struct AlertBookStorageTests: AlertBookSuite {
    @Test func firesEscalatesRepeatsAndResolvesOnce() throws {
        try withDatabase { database in
            try expectFiresEscalatesRepeatsAndResolvesOnce(steps(AlertBook(repeatInterval: 3_600), over: database))
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
                _ = try book.apply(
                    [(key, firing(.critical))], now: now, store: SQLiteAlertStateStore(database: database))
                _ = try book.apply(
                    [(key, .clear(message: "ok", value: 3))], now: now + 10,
                    store: SQLiteAlertStateStore(database: database))
                _ = try book.apply(
                    [(key, firing(.warning))], now: now + 20, store: SQLiteAlertStateStore(database: database))
            }
            #expect(try database.scalarInt64("SELECT count(*) FROM alerts") == 2)
            #expect(try database.scalarInt64("SELECT count(*) FROM alerts WHERE state = 'firing'") == 1)
        }
    }

    /// The same polls through the book over SQLite and over memory: the same lines, and the same
    /// state read back after each poll, so what the pure tests show of the book holds for the daemon's store.
    @Test func theSQLiteStoreAgreesWithTheMemoryStore() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try Database(path: folder.file("a.db"))
        try Schema.migrator.migrate(database)
        let memory = MemoryAlertStateStore()
        let book = AlertBook(
            repeatInterval: 600,
            rules: [
                .platformUnauthorized: AlertRuleSettings(pendingFor: 120),
                .liveClientLinkExpiring: AlertRuleSettings(keepFiringFor: 300),
            ])
        let keys = [
            AlertKey(rule: .mrConcurrencyExhausted, monitor: "m", subject: "m"),
            AlertKey(rule: .platformUnauthorized, monitor: "m", subject: "a"),
            AlertKey(rule: .platformUnauthorized, monitor: "m", subject: "b"),
            AlertKey(rule: .liveClientLinkExpiring, monitor: "m", subject: "7:G"),
            AlertKey(rule: .liveClientLinkExpiring, monitor: "n", subject: "7"),
        ]
        let conditions: [AlertCondition] = [
            .firing(severity: .warning, message: "w", value: 1, threshold: 2),
            .firing(severity: .critical, message: "c", value: 0, threshold: 0),
            .clear(message: "ok", value: 3), .unknown,
        ]
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for step in 0..<60 {
            // A fixed, varied script: each poll a different mix of keys and conditions; some polls prune.
            let batch = keys.enumerated().compactMap { index, key -> (AlertKey, AlertCondition)? in
                let pick = (step * 7 + index * 3 + step / 5) % 5
                return pick == 4 ? nil : (key, conditions[pick])
            }
            let now = start.addingTimeInterval(Double(step) * 70)
            let prune: String? = step % 3 == 0 ? "m" : nil
            let sqlite = SQLiteAlertStateStore(database: database)
            let fromSQLite = try database.write {
                try book.apply(batch, now: now, store: sqlite, pruningPendingOf: prune)
            }
            let fromMemory = try book.apply(batch, now: now, store: memory, pruningPendingOf: prune)
            #expect(fromSQLite == fromMemory, "poll \(step)")
            #expect(try sqlite.states(of: keys) == memory.states(of: keys), "poll \(step)")
            #expect(try Set(sqlite.pendingKeys(of: "m")) == Set(memory.pendingKeys(of: "m")), "poll \(step)")
            for key in keys {
                #expect(
                    try sqlite.openSubjects(rule: key.rule, monitor: key.monitor)
                        == memory.openSubjects(rule: key.rule, monitor: key.monitor))
            }
        }
        #expect(try database.scalarInt64("SELECT count(*) FROM alerts") == Int64(memory.episodes.count))
        #expect(memory.episodes.count > 5, "the script opens several episodes")
        #expect(
            memory.changes.contains { if case .clearing = $0.1 { true } else { false } },
            "and exercises keep_firing_for")
        #expect(memory.changes.contains { if case .pendingStarted = $0.1 { true } else { false } }, "and for")
    }
}
