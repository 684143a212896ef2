import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// `for` (pending before firing), `keep_firing_for` and the concurrency rule's
/// numeric hysteresis, on a real SQLite file: the book over `SQLiteAlertStateStore`.
/// (The same logic without SQLite: `AlertTransitionTests`, `AlertBookTests`.)
@Suite struct AlertLifecycleTests: AlertBookSuite {
    @Test func aRuleWithForIsPendingUntilItHasHeldThatLong() throws {
        try withDatabase { database in
            let book = AlertBook(
                repeatInterval: 3_600, rules: [.mrConcurrencyExhausted: AlertRuleSettings(pendingFor: 120)])
            let apply = steps(book, over: database)
            #expect(try apply(firing(.warning), after: 0).isEmpty)
            #expect(try database.scalarInt64("SELECT count(*) FROM alert_pending") == 1)
            #expect(try apply(.unknown, after: 60).isEmpty)
            #expect(try apply(firing(), after: 90).isEmpty)
            let fired = try apply(firing(), after: 120)
            #expect(fired.map(\.state) == [.firing])
            #expect(fired.first?.severity == .critical)
            #expect(try database.scalarInt64("SELECT started_at FROM alerts") == 1_800_000_120)
            #expect(try database.scalarInt64("SELECT count(*) FROM alert_pending") == 0)

            // A condition that clears while pending starts over.
            _ = try apply(.clear(message: "ok", value: 3), after: 200)
            #expect(try apply(firing(), after: 300).isEmpty)
            #expect(try apply(.clear(message: "ok", value: 3), after: 360).isEmpty)
            #expect(try database.scalarInt64("SELECT count(*) FROM alert_pending") == 0)
            #expect(try apply(firing(), after: 400).isEmpty)
            #expect(try apply(firing(), after: 519).isEmpty)
            #expect(try apply(firing(), after: 520).map(\.state) == [.firing])
        }
    }

    @Test func keepFiringForResolvesOnlyAfterTheConditionStayedClear() throws {
        try withDatabase { database in
            let book = AlertBook(
                repeatInterval: 3_600, rules: [.mrConcurrencyExhausted: AlertRuleSettings(keepFiringFor: 300)])
            let apply = steps(book, over: database)
            #expect(try apply(firing(), after: 0).map(\.state) == [.firing])
            #expect(try apply(.clear(message: "ok", value: 3), after: 60).isEmpty)
            // It flaps back: still the same episode, no new line, and the clear clock restarts.
            #expect(try apply(firing(), after: 120).isEmpty)
            #expect(try apply(.clear(message: "ok", value: 3), after: 180).isEmpty)
            #expect(try apply(.clear(message: "ok", value: 3), after: 479).isEmpty)
            let resolved = try apply(.clear(message: "ok", value: 4), after: 480)
            #expect(resolved.map(\.state) == [.resolved])
            #expect(resolved.first?.message == "ok (fired for 8m)")
            #expect(try database.scalarInt64("SELECT count(*) FROM alerts") == 1)
        }
    }

    @Test func concurrencyFiresAtZeroAndResolvesOnlyAboveResidualWarning() throws {
        try withDatabase { database in
            let evaluator = MRConcurrencyEvaluator(monitor: "p", residualWarning: 2, residualCritical: 0)
            let book = AlertBook(repeatInterval: 86_400)
            var states: [String] = []
            for (index, residual) in [0, 1, 0, 2, 1, 3, 2].enumerated() {
                let condition = evaluator.condition(
                    for: MRConcurrency(total: 5, used: 5 - residual, residual: residual, channelIDs: []))
                let lines = try database.write {
                    try book.apply(
                        [(key, condition)], now: start + Double(index * 60),
                        store: SQLiteAlertStateStore(database: database))
                }
                states += lines.map { "\($0.state.rawValue)/\($0.severity.rawValue)" }
            }
            // 0 → critical; 1, 2 → warning (the same episode); 3 → resolved; 2 again → a new episode.
            #expect(
                states == [
                    "firing/critical", "firing/warning", "firing/critical", "firing/warning", "resolved/warning",
                    "firing/warning",
                ])
            #expect(try database.scalarInt64("SELECT count(*) FROM alerts") == 2)
        }
    }

    @Test func aPendingAlertWhoseSubjectWentAwayIsDroppedOnTheNextSuccessfulPoll() throws {
        try withDatabase { database in
            let book = AlertBook(
                repeatInterval: 3_600, rules: [.platformUnauthorized: AlertRuleSettings(pendingFor: 600)])
            let gone = AlertKey(rule: .platformUnauthorized, monitor: "m", subject: "platform-1")
            let stays = AlertKey(rule: .platformUnauthorized, monitor: "m", subject: "platform-2")
            try database.write {
                _ = try book.apply(
                    [(gone, firing()), (stays, firing())], now: start, store: SQLiteAlertStateStore(database: database),
                    pruningPendingOf: "m")
                // A failed poll (no monitor given) keeps both.
                _ = try book.apply([], now: start + 60, store: SQLiteAlertStateStore(database: database))
            }
            #expect(try database.scalarInt64("SELECT count(*) FROM alert_pending") == 2)
            try database.write {
                _ = try book.apply(
                    [(stays, firing())], now: start + 120, store: SQLiteAlertStateStore(database: database),
                    pruningPendingOf: "m")
            }
            #expect(try database.first("SELECT subject FROM alert_pending")?.string("subject") == "platform-2")
            #expect(try database.scalarInt64("SELECT count(*) FROM alert_pending") == 1)
        }
    }
}
