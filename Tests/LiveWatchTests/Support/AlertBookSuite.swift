import Foundation
import SQLite
import Testing

@testable import LiveWatch

/// What the alert book suites share (`AlertBookTests` over memory; `AlertBookStorageTests` and
/// `AlertLifecycleTests` over SQLite): one alert, the time the steps count from, and the steps themselves.
protocol AlertBookSuite {}

/// The book applied to the suite's one alert, `after` seconds from the start.
struct AlertBookSteps {
    let step: (AlertCondition, Double) throws -> [AlertLine]

    func callAsFunction(_ condition: AlertCondition, after seconds: Double) throws -> [AlertLine] {
        try step(condition, seconds)
    }
}

extension AlertBookSuite {
    var key: AlertKey { AlertKey(rule: .mrConcurrencyExhausted, monitor: "p", subject: "p") }
    var start: Date { Date(timeIntervalSince1970: 1_800_000_000) }

    func firing(_ severity: Severity = .critical, _ value: Double = 0) -> AlertCondition {
        .firing(severity: severity, message: "m", value: value, threshold: 0)
    }

    /// Runs `body` on a migrated database in a temporary folder.
    func withDatabase(_ body: (Database) throws -> Void) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try Database(path: folder.file("a.db"))
        try Schema.migrator.migrate(database)
        try body(database)
    }

    func steps(_ book: AlertBook, over store: MemoryAlertStateStore) -> AlertBookSteps {
        AlertBookSteps { condition, seconds in
            try book.apply([(key, condition)], now: start + seconds, store: store)
        }
    }

    /// Each step in its own write transaction, as the daemon applies a poll.
    func steps(_ book: AlertBook, over database: Database) -> AlertBookSteps {
        AlertBookSteps { condition, seconds in
            try database.write {
                try book.apply(
                    [(key, condition)], now: start + seconds, store: SQLiteAlertStateStore(database: database))
            }
        }
    }

    /// With a repeat interval of an hour: fires at warning, escalates to critical, repeats once the
    /// interval has passed and resolves once, whatever the store.
    func expectFiresEscalatesRepeatsAndResolvesOnce(_ apply: AlertBookSteps) throws {
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
    }

    /// Residual concurrency 0, 1, 0, 2, 1, 3, 2 (a poll a minute): critical at 0, warning at 1 and 2 in the same
    /// episode, resolved only above `residual_warning` (3), then a new episode at 2, whatever the store.
    func expectConcurrencyResolvesOnlyAboveResidualWarning(_ apply: AlertBookSteps) throws {
        let evaluator = MRConcurrencyEvaluator(monitor: "p", residualWarning: 2, residualCritical: 0)
        var states: [String] = []
        for (index, residual) in [0, 1, 0, 2, 1, 3, 2].enumerated() {
            let condition = evaluator.condition(
                for: MRConcurrency(total: 5, used: 5 - residual, residual: residual, channelIDs: []))
            states += try apply(condition, after: Double(index * 60)).map {
                "\($0.state.rawValue)/\($0.severity.rawValue)"
            }
        }
        #expect(
            states == [
                "firing/critical", "firing/warning", "firing/critical", "firing/warning", "resolved/warning",
                "firing/warning",
            ])
    }
}
