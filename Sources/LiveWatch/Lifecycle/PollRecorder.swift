import Foundation
import Logging
import SQLite

/// Stores a poll and its alert consequences in one transaction, then writes
/// the alert lines: poll, evaluate, store, alert. The SQL is Storage's (`ObservationWriter`,
/// `ObservationReader`, `SQLiteAlertStateStore`, the outboxes); the rules are Alerting's.
///
/// Lines go through the `alert_log_outbox` table, committed with the alert
/// state, and are deleted once written; a crash between commit and write
/// loses nothing: the next start writes them. Each line also becomes a
/// `notification_outbox` row per notifier that wants it, in the same
/// transaction; a silenced line is written with `"silenced":true` and queued nowhere.
public struct PollRecorder: Sendable {
    /// The daemon's store: each poll is one write transaction on it.
    public let store: Store
    /// Where the outbox lines are written.
    public let alertLog: AlertLog
    /// The alert book's repeat interval (its rules come from `policy` at each poll).
    public let book: AlertBook
    /// Consecutive failed polls before `monitor_failing` fires.
    public let failureThreshold: Int
    /// Rule settings, silences and notifiers, read at each poll (SIGHUP replaces them).
    public let policy: AlertPolicyBox
    let logger: Logger
    /// Told of the open alerts and queued notifications after a poll that changed them (with `daemon.listen`).
    var metrics: LiveWatchMetrics?

    /// A recorder writing to `store` and `alertLog`.
    public init(
        store: Store, alertLog: AlertLog, repeatInterval: Double, failureThreshold: Int, logger: Logger,
        policy: AlertPolicyBox = AlertPolicyBox()
    ) {
        self.store = store
        self.alertLog = alertLog
        self.book = AlertBook(repeatInterval: repeatInterval)
        self.failureThreshold = failureThreshold
        self.policy = policy
        self.logger = logger
    }

    /// Records `report`, evaluates alerts with `evaluator`, and writes any alert lines. Returns those lines.
    @discardableResult
    public func record(_ report: PollReport, evaluator: any AlertEvaluator) async throws -> [AlertLine] {
        let policy = self.policy.current
        let book = AlertBook(repeatInterval: self.book.repeatInterval, rules: policy.rules)
        let threshold = failureThreshold
        let metrics = self.metrics
        let lines: [AlertLine]
        let dropping: [AlertLine]
        do {
            (lines, dropping) = try await store.write { database in
                var dropping: [AlertLine] = []
                let lines = try Self.recordInTransaction(
                    report, evaluator: evaluator, book: book, failureThreshold: threshold, policy: policy,
                    dropping: &dropping, in: database)
                if let metrics {
                    // Alerts and outboxes change only with lines: counted then, and set while this writer is
                    // held, so two monitors' polls finishing together cannot leave the older count on the page.
                    if !lines.isEmpty {
                        metrics.alertsFiring(try MetricsQueries.firing(in: database))
                        metrics.notificationsQueued(try MetricsQueries.queued(in: database))
                    }
                    // Stored silences change outside polls (`livewatch silence`): counted at every poll, one
                    // indexed query.
                    metrics.silencesActive(
                        configured: policy.silences.filter { $0.isActive(at: report.finishedAt) }.count,
                        stored: try SilenceStore.active(at: report.finishedAt, in: database).count)
                }
                return (lines, dropping)
            }
        } catch {
            // The sample the evaluation added was rolled back: the history is read again at the next poll.
            evaluator.concurrencyHistory?.forget()
            throw error
        }
        // The alert log may be what cannot be written: say it in the journal as well.
        for notice in dropping { logger.critical("\(notice.message)") }
        // Nothing new in the outbox: nothing to write (lines left by a failed write are retried at the next line or start).
        if !lines.isEmpty { await flushAlertLog() }
        return lines
    }

    static func recordInTransaction(
        _ report: PollReport, evaluator: any AlertEvaluator, book: AlertBook, failureThreshold: Int,
        policy: AlertPolicy = AlertPolicy(), in database: Database
    ) throws -> [AlertLine] {
        var dropping: [AlertLine] = []
        return try recordInTransaction(
            report, evaluator: evaluator, book: book, failureThreshold: failureThreshold, policy: policy,
            dropping: &dropping, in: database)
    }

    /// Records the poll; `dropping` receives the notices of outboxes that started dropping rows.
    ///
    /// In order: the `polls` row and the monitor's failure count; for a successful poll, the previous
    /// observation and the open subjects the evaluator asks for (read before the new observation is
    /// stored); the evaluation; the observation; the alert transitions, recorded through the alert
    /// state store; then the lines into the outboxes.
    static func recordInTransaction(
        _ report: PollReport, evaluator: any AlertEvaluator, book: AlertBook, failureThreshold: Int,
        policy: AlertPolicy, dropping: inout [AlertLine], in database: Database
    ) throws -> [AlertLine] {
        let now = report.finishedAt
        let pollID = try ObservationWriter.insertPoll(report, in: database)
        let failures = try ObservationWriter.updateMonitorState(report, in: database)
        let alerts = SQLiteAlertStateStore(database: database)
        var evaluation: AlertEvaluation
        if case .observed(let observation) = report.outcome {
            let previous =
                evaluator.comparesWithPrevious
                ? try ObservationReader.previous(of: observation, monitor: report.monitor, in: database) : nil
            if let history = evaluator.concurrencyHistory, history.needsLoading {
                let earliest = history.earliest(at: ObservationWriter.unixSeconds(now))
                history.load(
                    try ObservationReader.concurrencySamples(monitor: report.monitor, since: earliest, in: database))
            }
            var openSubjects: [AlertRule: [String]] = [:]
            for rule in evaluator.rulesResolvingVanishedSubjects {
                openSubjects[rule] = try alerts.openSubjects(rule: rule, monitor: report.monitor)
            }
            evaluation = evaluator.evaluate(report, previous: previous, openSubjects: openSubjects)
            try ObservationWriter.insertObservation(
                observation, monitor: report.monitor, at: now, pollID: pollID, in: database)
        } else {
            evaluation = evaluator.evaluate(report, previous: nil, openSubjects: [:])
        }
        let failingKey = AlertKey(rule: .monitorFailing, monitor: report.monitor, subject: report.monitor)
        if let failure = report.failure {
            if failures >= failureThreshold {
                evaluation.conditions.append(
                    (
                        failingKey,
                        .firing(
                            severity: .warning,
                            message:
                                "\(failures) consecutive polls of \(report.monitor) failed; last: \(failure.description)",
                            value: Double(failures), threshold: Double(failureThreshold))
                    ))
            }
        } else {
            evaluation.conditions.append(
                (failingKey, .clear(message: "polls of \(report.monitor) succeed again", value: 0)))
        }
        var lines = try book.apply(
            evaluation.conditions, now: now, store: alerts, pruningPendingOf: report.succeeded ? report.monitor : nil,
            inhibitions: evaluation.inhibitions)
        lines += evaluation.notices.map { notice in
            AlertLine(
                time: now, state: .notice, severity: notice.severity, rule: notice.key.rule,
                monitor: notice.key.monitor, subject: notice.key.subject, message: notice.message)
        }
        try enqueue(lines, at: now, policy: policy, dropping: &dropping, in: database)
        return lines
    }

    /// Puts lines in the alert-log outbox, and in the notification outbox for every
    /// notifier that wants them, unless a silence covers them (inside the caller's transaction).
    /// Every outbox then keeps at most `policy.outboxLimit` rows (see `OutboxLimit`).
    public static func enqueue(
        _ lines: [AlertLine], at now: Date, policy: AlertPolicy = AlertPolicy(), in database: Database
    ) throws {
        var dropping: [AlertLine] = []
        try enqueue(lines, at: now, policy: policy, dropping: &dropping, in: database)
    }

    /// `enqueue`, with the critical notices of outboxes that started dropping rows (already queued
    /// for the alert log) added to `dropping`.
    static func enqueue(
        _ lines: [AlertLine], at now: Date, policy: AlertPolicy, dropping: inout [AlertLine], in database: Database
    ) throws {
        guard !lines.isEmpty else { return }
        // The silences added with `livewatch silence add` count as configured ones, read in this transaction.
        let stored = try SilenceStore.active(at: now, in: database)
        for line in lines {
            let silenced = policy.silence(for: line) != nil || stored.contains { $0.matches(line) }
            try AlertLogOutbox.insert(line.json(silenced: silenced), at: now, in: database)
            if !policy.notifiers.isEmpty {
                try NotificationOutbox.enqueue(line, silenced: silenced, notifiers: policy.notifiers, in: database)
            }
        }
        dropping += try OutboxTrimmer.enforce(
            limit: policy.outboxLimit, notifiers: policy.notifiers.map(\.name), at: now, in: database)
    }

    /// Writes every pending outbox line to the alert log, oldest first, in batches: each line whole
    /// or not at all, a batch on disk (`fdatasync`) before its rows leave the outbox.
    /// A line that cannot be written stays, with the lines after it, for the next attempt.
    public func flushAlertLog() async {
        let alertLog = self.alertLog
        do {
            let failure: String? = try await store.access { database in
                try AlertLogOutbox.drain(batch: Self.flushBatch, in: database) { lines in
                    let outcome = alertLog.append(lines)
                    return (outcome.written, outcome.error.map { "\($0)" })
                }
            }
            if let failure {
                logger.error("\(failure); the line is kept and retried")
            }
        } catch {
            logger.error("cannot read the alert outbox: \(error)")
        }
    }

    /// Outbox lines written per `fdatasync`.
    static let flushBatch = 500
}
