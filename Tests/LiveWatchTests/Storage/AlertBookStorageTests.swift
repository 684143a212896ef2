import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// The alert book over `SQLiteAlertStateStore` on a real SQLite file: what the `alerts` table holds
/// after each step. (The same steps without SQLite: `AlertBookTests`.)
@Suite struct AlertBookStorageTests {
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
                try database.write {
                    try book.apply(
                        [(key, condition)], now: start.addingTimeInterval(seconds),
                        store: SQLiteAlertStateStore(database: database))
                }
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
