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
            try expectConcurrencyResolvesOnlyAboveResidualWarning(
                steps(AlertBook(repeatInterval: 86_400), over: database))
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
